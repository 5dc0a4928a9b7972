"""The nurse line as a team, through signed webhooks as Twilio sends them: several nurses, a
queue when every nurse is busy, leaving it, and nurses never rung while on a call."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr import create_app
from ivr.content.load import Content
from ivr.store import Store
from ivr.webhooks.helpline import helpline
from tests.conftest import CALLER, ENV, signed_post
from tests.test_store import database_url, postgres_database  # noqa: F401 (fixtures)

NURSES = ("+442079460201", "+442079460202", "+442079460203")


class Clock:
    """The time the helpline goes by, moved by the test (a weekday at noon to start)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class Caller:
    """One caller's side of a call: signed requests with its own CallSid."""

    def __init__(self, client: FlaskClient, number: int) -> None:
        self.client = client
        self.sid = f"CA{number:032x}"

    def post(self, url: str, **data: str) -> ET.Element:
        """POST to a webhook as Twilio would for this call; the TwiML answer, parsed."""
        status, mimetype, body = signed_post(
            self.client, url, {"CallSid": self.sid, "From": CALLER, **data}
        )
        assert (status, mimetype) == (200, "text/xml"), body
        return ET.fromstring(body)

    def press_0(self) -> ET.Element:
        """Ask for a nurse from the main menu."""
        return self.post("/voice/step?n=main", Digits="0")


def said(root: ET.Element) -> str:
    """Everything said in a document, on one line."""
    return " ".join(" ".join(e.itertext()) for e in root.iter("Say"))


def dialled(root: ET.Element) -> list[str]:
    """The numbers a document rings."""
    return [n.text or "" for n in root.iter("Number")]


def nurse_of(number: ET.Element) -> str:
    """The nurse key a <Number>'s whisper URL names."""
    return parse_qs(urlsplit(number.attrib["url"]).query)["nurse"][0]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def team_app(tmp_path: Path, clock: Clock) -> Iterator[Callable[..., Flask]]:
    """An app on a database of its own (its clock the test's), with the given number of
    nurses on the rota."""
    stores: list[Store] = []

    def make(nurses: int = 1, database: str | None = None, **settings: str) -> Flask:
        url = database or f"sqlite:///{tmp_path / 'team.sqlite3'}"
        store = Store(url, ENV["SECRET_KEY"], clock=clock)
        store.upgrade()
        stores.append(store)
        app = create_app({**ENV, "DATABASE_URL": url, **settings}, clock=clock, store=store)
        for index, number in enumerate(NURSES[:nurses]):
            store.add_nurse(f"Nurse {index + 1}", number, "always")
        return app

    yield make
    for store in stores:
        store.close()


def test_all_free_nurses_ring_at_once_each_with_a_whisper(team_app: Callable[..., Flask]) -> None:
    """With NURSE_RING=all, one <Dial> rings every free nurse; each leg's whisper and status
    callback name that nurse, and the caller's number appears nowhere in the TwiML."""
    app = team_app(nurses=3)
    root = Caller(app.test_client(), 1).press_0()
    numbers = list(root.iter("Number"))
    assert [n.text for n in numbers] == list(NURSES)
    keys = [nurse_of(n) for n in numbers]
    assert keys == [f"n:{i}" for i in (1, 2, 3)]
    for number in numbers:
        assert urlsplit(number.attrib["url"]).path == "/voice/whisper"
        assert urlsplit(number.attrib["statusCallback"]).path == "/voice/nurse/status"
        assert number.attrib["statusCallbackEvent"] == "completed"
    assert CALLER.removeprefix("+") not in ET.tostring(root, encoding="unicode")


def test_two_calls_racing_for_one_nurse_the_second_queues(
    team_app: Callable[..., Flask], content: Content
) -> None:
    """A nurse on a call is never rung for another: the second caller hears they are in a
    queue, and Twilio is told to hold them with our wait URL and action."""
    client = team_app(nurses=1).test_client()
    first, second = Caller(client, 1), Caller(client, 2)
    assert dialled(first.press_0()) == [NURSES[0]]
    root = second.press_0()
    assert dialled(root) == []
    assert content.prompts["queue.joined"].spoken in said(root)
    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.text == "nurses"
    assert urlsplit(enqueue.attrib["waitUrl"]).path == "/voice/queue/wait"
    assert urlsplit(enqueue.attrib["action"]).path == "/voice/queue/left"


def wait_url(root: ET.Element) -> str:
    enqueue = root.find("Enqueue")
    assert enqueue is not None
    return (
        urlsplit(enqueue.attrib["waitUrl"]).path + "?" + urlsplit(enqueue.attrib["waitUrl"]).query
    )


def action_of(root: ET.Element) -> str:
    enqueue = root.find("Enqueue")
    assert enqueue is not None
    url = urlsplit(enqueue.attrib["action"])
    return f"{url.path}?{url.query}"


def test_the_queue_says_the_place_and_safety_once_then_frees_for_the_next_nurse(
    team_app: Callable[..., Flask], content: Content, clock: Clock
) -> None:
    """Waiting: the place, the expected wait, the safety message (the first time only) and
    the keys, about once a minute and quiet between; when the nurse's call ends, the caller
    at the front leaves the queue for them, and the whisper says how long they waited."""
    client = team_app(nurses=1).test_client()
    first, second, third = Caller(client, 1), Caller(client, 2), Caller(client, 3)
    first.press_0()
    queued = second.press_0()
    third.press_0()
    wait = wait_url(queued)
    hold = second.post(wait, QueueTime="5", AvgQueueTime="150")
    text = said(hold)
    safety = content.prompts["safety.message"].spoken
    assert content.prompts["queue.next"].spoken in text
    assert "The wait is about 3 minutes." in text
    assert safety in text
    assert content.prompts["queue.keys"].spoken in text
    assert [c.tag for c in hold] == ["Gather"] and hold[0][-1].tag == "Pause"
    assert said(second.post(wait, QueueTime="20")) == ""  # quiet between announcements
    again = said(second.post(wait, QueueTime="65"))
    assert content.prompts["queue.next"].spoken in again and safety not in again
    third_says = said(third.post(wait_url(queued), QueueTime="70"))
    assert "You are number 2 in the queue." in third_says
    # The nurse's call ends: the caller at the front (not the third) leaves for them.
    clock.advance(minutes=4)
    first.post("/voice/dial?n=nurse&b=main&t=n:1", DialCallStatus="completed")
    assert [c.tag for c in third.post(wait, QueueTime="300")] == ["Gather"]
    assert [c.tag for c in second.post(wait, QueueTime="240")] == ["Leave"]
    ring = second.post(action_of(queued), QueueResult="leave", QueueTime="240")
    assert content.prompts["queue.connecting"].spoken in said(ring)
    assert dialled(ring) == [NURSES[0]]
    number = next(ring.iter("Number"))
    whisper_url = urlsplit(number.attrib["url"])
    whisper = Caller(client, 9).post(
        f"{whisper_url.path}?{whisper_url.query}", ParentCallSid=second.sid
    )
    assert "They waited 4 minutes in the queue." in said(whisper)


def test_nurses_in_turn_the_next_is_tried_when_one_does_not_take_the_call(
    team_app: Callable[..., Flask], content: Content
) -> None:
    """With NURSE_RING=turn, one nurse rings at a time for NURSE_RING_SECONDS; a nurse who
    does not take the call is followed by the next; after the last, the caller's choices."""
    client = team_app(nurses=2, NURSE_RING="turn", NURSE_RING_SECONDS="15").test_client()
    caller = Caller(client, 1)
    root = caller.press_0()
    assert dialled(root) == [NURSES[0]]
    dial = root.find("Dial")
    assert dial is not None and dial.attrib["timeout"] == "15"
    action = urlsplit(dial.attrib["action"])
    root = caller.post(f"{action.path}?{action.query}", DialCallStatus="no-answer")
    assert content.prompts["queue.another"].spoken in said(root)
    assert dialled(root) == [NURSES[1]]
    dial = root.find("Dial")
    assert dial is not None
    action = urlsplit(dial.attrib["action"])
    root = caller.post(
        f"{action.path}?{action.query}", DialCallStatus="completed", DialBridged="false"
    )
    assert dialled(root) == []
    assert content.prompts["nurse.unavailable"].spoken in said(root)


def test_a_wait_past_the_limit_offers_a_call_back_and_does_not_end_the_call(
    team_app: Callable[..., Flask], content: Content
) -> None:
    """Past QUEUE_LIMIT_MINUTES the caller hears a call back offered again; the wait goes on."""
    client = team_app(nurses=1, QUEUE_LIMIT_MINUTES="10").test_client()
    Caller(client, 1).press_0()
    second = Caller(client, 2)
    wait = wait_url(second.press_0())
    second.post(wait, QueueTime="1")
    root = second.post(wait, QueueTime="601")
    assert content.prompts["queue.long_wait"].spoken in said(root)
    assert root.find(".//Hangup") is None and root.find("Gather") is not None


@pytest.fixture
def database(database_url: str) -> Iterator[str]:  # noqa: F811 (fixture)
    """An empty database on each of SQLite and PostgreSQL, migrated by the app."""
    yield database_url


def test_leaving_the_queue_for_a_call_back_keeps_the_place_until_it_is_booked(
    team_app: Callable[..., Flask], content: Content, database: str
) -> None:
    """Key 1 in the queue leaves it for the call-back questions; the place is kept until the
    call back is booked, and the dashboard's figures say the caller left for a call back."""
    app = team_app(nurses=1, database=database)
    store: Store = helpline(app).store
    client = app.test_client()
    Caller(client, 1).press_0()
    second = Caller(client, 2)
    queued = second.press_0()
    key = second.post("/voice/queue/key?n=nurse&b=main", Digits="1")
    assert [c.tag for c in key] == ["Leave"]
    root = second.post(action_of(queued), QueueResult="leave")
    assert content.prompts["callback.own"].spoken in said(root)
    entry = store.queued_call(second.sid)
    assert entry is not None and entry.left_how is None  # the place is still theirs
    gather = root.find("Gather")
    assert gather is not None
    step = urlsplit(gather.attrib["action"])
    booked = second.post(f"{step.path}?{step.query}", Digits="1")
    assert content.prompts["callback.booked"].spoken in said(booked)
    entry = store.queued_call(second.sid)
    assert entry is not None and entry.left_how == "callback"
    figures = store.queue_figures(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert figures.left == {"callback": 1}


def test_leaving_for_the_guidance_and_hanging_up_in_the_queue_are_counted(
    team_app: Callable[..., Flask], content: Content
) -> None:
    """Key 2 leaves the queue for the main menu; a caller who hangs up while waiting is out
    of the queue and frees nobody's place; a key that is no choice keeps them waiting."""
    app = team_app(nurses=1)
    store: Store = helpline(app).store
    client = app.test_client()
    Caller(client, 1).press_0()
    second, third = Caller(client, 2), Caller(client, 3)
    queued = second.press_0()
    third.press_0()
    wrong = second.post("/voice/queue/key?n=nurse&b=main", Digits="7")
    assert content.prompts["queue.not_a_key"].spoken in said(wrong)
    assert [c.tag for c in second.post("/voice/queue/key?n=nurse", Digits="2")] == ["Leave"]
    menu = second.post(action_of(queued), QueueResult="leave")
    assert content.prompts["main.choices"].spoken in said(menu) or menu.find("Gather") is not None
    third.post("/voice/status", CallStatus="completed", CallDuration="90")
    third.post(action_of(queued), QueueResult="hangup")
    figures = store.queue_figures(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert figures.left == {"guidance": 1, "hung_up": 1}
    assert figures.waiting == 0


def test_a_nurse_off_today_or_out_of_hours_is_not_rung(
    team_app: Callable[..., Flask], clock: Clock
) -> None:
    """Only nurses within their own hours and not turned off for the day ring."""
    app = team_app(nurses=0)
    store: Store = helpline(app).store
    store.add_nurse("Early", NURSES[0], "Mon-Fri 07:00-11:00")
    off = store.add_nurse("Off", NURSES[1], "always")
    store.add_nurse("On", NURSES[2], "always")
    store.set_off_today(off, True, clock().date())
    assert dialled(Caller(app.test_client(), 1).press_0()) == [NURSES[2]]


def test_the_nurse_leg_status_callback_frees_the_nurse(team_app: Callable[..., Flask]) -> None:
    """When a nurse's own leg ends (their status callback), the next caller rings them."""
    client = team_app(nurses=1).test_client()
    first = Caller(client, 1)
    number = next(first.press_0().iter("Number"))
    status = urlsplit(number.attrib["statusCallback"])
    Caller(client, 7).post(
        f"{status.path}?{status.query}", ParentCallSid=first.sid, CallStatus="completed"
    )
    assert dialled(Caller(client, 2).press_0()) == [NURSES[0]]


def test_a_message_is_recorded_after_saying_how_it_is_kept_and_then_kept(
    team_app: Callable[..., Flask], content: Content
) -> None:
    """At the closed line, 2 leaves a message: the caller hears who hears it and for how long
    (RETENTION_DAYS), then <Record> (2 minutes, # to finish, its status callback); the action
    keeps the message with what the caller was listening to; the signed status callback
    gives it its recording; the call goes on to the choices, never a hang-up."""
    app = team_app(nurses=0, NURSE_LINE_HOURS="never", RETENTION_DAYS="30")
    store: Store = helpline(app).store
    caller = Caller(app.test_client(), 4)
    root = caller.post("/voice/step?n=nurse_closed&b=main.walk_summary", Digits="2")
    assert "we delete it 30 days after they deal with it" in said(root)
    record = root.find("Record")
    assert record is not None
    assert (record.attrib["maxLength"], record.attrib["finishOnKey"]) == ("120", "#")
    assert urlsplit(record.attrib["recordingStatusCallback"]).path == "/voice/voicemail/recording"
    assert [c.tag for c in root][-2:] == ["Record", "Redirect"]
    action = urlsplit(record.attrib["action"])
    recording = "RE" + "a" * 32
    url = f"https://api.twilio.com/2010-04-01/Accounts/AC{'b' * 32}/Recordings/{recording}"
    after = caller.post(
        f"{action.path}?{action.query}",
        RecordingUrl=url,
        RecordingSid=recording,
        RecordingDuration="14",
        Digits="#",
    )
    assert content.prompts["voicemail.saved"].spoken in said(after)
    assert after.find("Gather") is not None and after.find("Hangup") is None
    [message] = store.open_voicemails()
    assert message.call_sid == caller.sid and message.duration_seconds == 14
    assert message.recording_sid == recording
    assert message.listening_to == content.flow.nodes["walk_summary"].title


def test_nothing_recorded_is_said_and_nothing_is_kept(
    team_app: Callable[..., Flask], content: Content
) -> None:
    """Silence at the tone (Twilio follows the Redirect, with no recording): the caller hears
    nothing was saved and may try again; no message is listed."""
    app = team_app(nurses=0, NURSE_LINE_HOURS="never")
    caller = Caller(app.test_client(), 5)
    root = caller.post("/voice/voicemail/saved?n=voicemail&b=main.nurse_closed")
    assert content.prompts["voicemail.nothing"].spoken in said(root)
    assert content.prompts["voicemail.nothing_next"].spoken in said(root)
    assert helpline(app).store.open_voicemails() == []


def test_a_recording_status_callback_must_be_signed(team_app: Callable[..., Flask]) -> None:
    """A recording's status callback without Twilio's signature is refused (403)."""
    app = team_app(nurses=0)
    response = app.test_client().post(
        "/voice/voicemail/recording",
        data={"CallSid": "CA" + "1" * 32, "RecordingSid": "RE" + "1" * 32},
    )
    assert response.status_code == 403


def test_all_at_once_a_nurse_who_does_not_take_the_call_lets_the_others_ring_again(
    team_app: Callable[..., Flask], content: Content
) -> None:
    """Twilio hangs up on the others when the first nurse answers: if that nurse does not
    press 1 (a key, or nothing), the others ring again, never the one who said no; after
    the last, the caller hears the choices."""
    client = team_app(nurses=2).test_client()
    caller, nurse_leg = Caller(client, 1), Caller(client, 8)
    root = caller.press_0()
    assert dialled(root) == list(NURSES[:2])
    first = next(root.iter("Number"))
    whisper_url = urlsplit(first.attrib["url"])
    whisper = nurse_leg.post(f"{whisper_url.path}?{whisper_url.query}", ParentCallSid=caller.sid)
    gather = whisper.find("Gather")
    assert gather is not None and gather.attrib["actionOnEmptyResult"] == "true"
    accept = urlsplit(gather.attrib["action"])
    assert parse_qs(accept.query)["nurse"] == ["n:1"]
    nurse_leg.post(f"{accept.path}?{accept.query}", ParentCallSid=caller.sid, Digits="2")
    dial = root.find("Dial")
    assert dial is not None
    action = urlsplit(dial.attrib["action"])
    again = caller.post(
        f"{action.path}?{action.query}", DialCallStatus="completed", DialBridged="false"
    )
    assert content.prompts["queue.another"].spoken in said(again)
    assert dialled(again) == [NURSES[1]]
    second = next(again.iter("Number"))
    whisper_url = urlsplit(second.attrib["url"])
    whisper = nurse_leg.post(f"{whisper_url.path}?{whisper_url.query}", ParentCallSid=caller.sid)
    gather = whisper.find("Gather")
    assert gather is not None
    accept = urlsplit(gather.attrib["action"])
    nurse_leg.post(f"{accept.path}?{accept.query}", ParentCallSid=caller.sid)  # no key
    dial = again.find("Dial")
    assert dial is not None
    action = urlsplit(dial.attrib["action"])
    last = caller.post(
        f"{action.path}?{action.query}", DialCallStatus="completed", DialBridged="false"
    )
    assert dialled(last) == []
    assert content.prompts["nurse.unavailable"].spoken in said(last)
