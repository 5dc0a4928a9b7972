"""The terminal phone against the real helpline with nurses on a rota, on SQLite and
PostgreSQL: waiting in the queue, leaving it for a call back, being put through when a nurse is
freed, and a message left at the closed line, listed for staff and purged without Twilio."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask

from ivr import create_app
from ivr.content.load import Content
from ivr.numbers import PRACTICE_CALLER
from ivr.practice.phone import Phone, Transcript, TranscriptEntry
from ivr.store import Store
from tests.conftest import CALLER, ENV, TOKEN, signed_post
from tests.test_store import Clock, database_url, postgres_database, rows  # noqa: F401
from tests.test_voicemail_store import TwilioStandIn, twilio  # noqa: F401 (fixture)

NURSE = "+442079460201"
ON_A_CALL = "CA" + "f" * 32  # the call holding the only nurse on duty
AHEAD = "CA" + "e" * 32  # a caller who joined the queue first
SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def helpline(database_url: str, clock: Clock) -> Iterator[Callable[..., tuple[Flask, Store]]]:  # noqa: F811
    """The real app on a database of its own, its clock the test's; one nurse on the rota."""
    stores: list[Store] = []

    def make(**settings: str) -> tuple[Flask, Store]:
        store = Store(database_url, ENV["SECRET_KEY"], clock=clock)
        store.upgrade()
        stores.append(store)
        env = {**ENV, "DATABASE_URL": database_url, **settings}
        app = create_app(env, clock=clock, store=store)
        store.add_nurse("Nurse 1", NURSE, "always")
        return app, store

    yield make
    for store in stores:
        store.close()


def sent(t: Transcript, path: str) -> list[dict[str, str]]:
    """The parameters of every request the phone made to `path`."""
    return [r.params for r in t.requests if urlsplit(r.url).path == path]


def test_a_caller_in_the_queue_hears_the_place_and_wait_then_books_a_call_back(
    helpline: Callable[..., tuple[Flask, Store]], content: Content
) -> None:
    """The only nurse is on a call and one caller waits already: the phone's caller hears the
    queue, their place (2) and the expected wait from the AvgQueueTime it sent, presses 1, and
    books the call back on their own number; the figures say one caller left for a call back."""
    app, store = helpline()
    assert store.claim_nurses(ON_A_CALL, ["n:1"]) == ["n:1"]
    status, _, body = signed_post(
        app.test_client(), "/voice/step?n=main", {"CallSid": AHEAD, "Digits": "0"}
    )
    assert status == 200 and "<Enqueue" in body
    phone = Phone(app, auth_token=TOKEN, caller=CALLER, queue_place=2)
    t = phone.call(["0", ".1m", "1", "1"])
    assert t.errors() == []
    heard = t.heard()
    joined = heard.index(content.prompts["queue.joined"].spoken)
    assert heard[joined + 1 : joined + 3] == [
        "You are number 2 in the queue.",
        "The wait is about 2 minutes.",
    ]
    assert heard.count(content.prompts["queue.keys"].spoken) == 2  # about once a minute
    assert content.prompts["callback.own"].spoken in heard
    assert content.prompts["callback.booked"].spoken in heard
    (key,) = sent(t, "/voice/queue/key")
    assert key["Digits"] == "1"
    (left,) = sent(t, "/voice/queue/left")
    assert left["QueueResult"] == "leave"
    entry = store.queued_call(t.call_sid)
    assert entry is not None and entry.left_how == "callback"
    figures = store.queue_figures(SINCE)
    assert figures.left == {"callback": 1}
    assert figures.waiting == 1  # the caller ahead still waits
    assert [c.practice for c in store.open_callbacks()] == [False]


def test_a_practice_caller_leaving_the_queue_is_kept_out_of_the_figures(
    helpline: Callable[..., tuple[Flask, Store]], content: Content
) -> None:
    """Practice calls hold nurses among themselves ("p:" legs): with the nurse held by another
    practice call, the practice phone's caller queues, leaves for a call back, keys in a number
    (the practice number is not one to ring) and books it: a practice call back, its queue entry
    saying it left for one, and the dashboard's figures leaving it out."""
    app, store = helpline()
    store.claim_nurses(ON_A_CALL, ["p:n:1"])
    t = Phone(app, auth_token=TOKEN, caller=PRACTICE_CALLER).call(["0", "1", "02079460123#", "1"])
    assert t.errors() == []
    assert content.prompts["queue.next"].spoken in t.heard()
    entry = store.queued_call(t.call_sid)
    assert entry is not None and entry.left_how == "callback"
    assert store.queue_figures(SINCE).left == {}
    assert [c.practice for c in store.open_callbacks()] == [True]


def test_the_caller_at_the_front_is_put_through_when_the_nurse_is_freed(
    helpline: Callable[..., tuple[Flask, Store]], clock: Clock, content: Content
) -> None:
    """A minute into the wait the nurse's other call ends: the next wait lets the caller go,
    the queue's action rings that nurse, whose whisper says how long they waited, and the
    figures count one answered wait of a minute; the nurse is free again when the call ends."""
    app, store = helpline()
    store.claim_nurses(ON_A_CALL, ["n:1"])
    freed: list[int] = []

    def free_the_nurse(event: TranscriptEntry) -> None:
        if event.kind == "wait" and event.attrs.get("waited") == "1 min" and not freed:
            clock.advance(minutes=1)
            freed.append(store.end_legs(ON_A_CALL, "completed"))

    phone = Phone(app, auth_token=TOKEN, caller=CALLER, on_event=free_the_nurse)
    t = phone.call(["0", ".3m"])
    assert t.errors() == [] and freed == [1]
    assert content.prompts["queue.connecting"].spoken in t.heard()
    assert [e.text for e in t.of_kind("dial")] == [NURSE]
    (whisper,) = t.of_kind("whisper")
    assert content.prompts["whisper.waited_minute"].spoken in whisper.text
    (left,) = sent(t, "/voice/queue/left")
    assert left["QueueResult"] == "leave" and int(left["QueueTime"]) >= 60
    figures = store.queue_figures(SINCE)
    assert (figures.left, figures.answered_waits, figures.waiting) == ({"answered": 1}, [60.0], 0)
    assert store.busy_nurses() == frozenset()


def leave_a_message(app: Flask, words: str) -> Transcript:
    """A practice call to the closed nurse line: 0, then 2 for a message, then the words."""
    t = Phone(app, auth_token=TOKEN).call(["0", "2", words])
    assert t.errors() == []
    return t


def test_a_message_left_at_the_closed_line_is_listed_for_staff(
    helpline: Callable[..., tuple[Flask, Store]], content: Content
) -> None:
    """With the line closed, 0 then 2 leads to the message: the caller hears how it is kept,
    speaks at the tone and hears it is saved; staff's list has it, with the recording the phone
    told of, its length, and the mark of a practice call."""
    app, store = helpline(NURSE_LINE_HOURS="never")
    t = leave_a_message(app, "Please call me back about my scan results")
    heard = t.heard()
    assert content.prompts["voicemail.intro"].spoken in heard
    assert content.prompts["voicemail.saved"].spoken in heard
    assert any("90 days" in line for line in heard)
    (saved,) = sent(t, "/voice/voicemail/saved")
    (done,) = sent(t, "/voice/voicemail/recording")
    assert saved["RecordingSid"] == done["RecordingSid"]
    (voicemail,) = store.open_voicemails()
    assert voicemail.call_sid == t.call_sid
    assert voicemail.recording_sid == saved["RecordingSid"]
    assert (voicemail.duration_seconds, voicemail.practice, voicemail.playable) == (3, True, True)
    assert voicemail.listening_to  # where the caller was in the guidance


def test_a_practice_message_is_purged_without_asking_twilio(
    helpline: Callable[..., tuple[Flask, Store]],
    clock: Clock,
    twilio: TwilioStandIn,  # noqa: F811
) -> None:
    """A practice message's recording sid is one Twilio would hold (the stand-in of Twilio's
    API even holds it): done and past the retention period, its row is deleted and Twilio is
    asked nothing, with Twilio's credentials or without them."""
    app, store = helpline(NURSE_LINE_HOURS="never")
    for words in ("First message", "Second message"):
        leave_a_message(app, words)
    first, second = store.open_voicemails()
    assert first.recording_sid is not None and second.recording_sid is not None
    twilio.recordings = {first.recording_sid: b"audio", second.recording_sid: b"audio"}
    assert store.mark_voicemail_done(first.id)
    later = clock.now + dt.timedelta(days=91)
    result = store.purge_voicemails(later, 90, twilio.account())
    assert (result.voicemails, result.recordings, result.kept) == (1, 0, ())
    assert twilio.received == []
    assert store.mark_voicemail_done(second.id)
    result = store.purge_voicemails(later, 90, None)
    assert (result.voicemails, result.recordings, result.kept) == (1, 0, ())
    assert rows(store, "voicemails") == []
    assert twilio.received == [] and len(twilio.recordings) == 2
