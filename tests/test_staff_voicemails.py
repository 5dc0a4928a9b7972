"""The staff site's Voicemails page and player, against a local stand-in of Twilio's REST API,
and the dashboard's queue and voicemail figures."""

from __future__ import annotations

import io
import re
import wave
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr import create_app
from ivr.store import Store
from tests.conftest import ENV
from tests.test_staff_site import BASE, PASSWORD, SAME_SITE, csrf_of, sign_in
from tests.test_store import SECRET, Clock
from tests.test_voicemail_store import (
    ACCOUNT,
    AUDIO,
    AUTH_TOKEN,
    CALL,
    FIRST,
    OTHER_CALL,
    SECOND,
    TwilioStandIn,
    left,
    twilio,
)

__all__ = ["twilio"]  # the stand-in's fixture, shared by name


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: object, clock: Clock) -> Iterator[Store]:
    """A migrated SQLite store whose clock the test moves."""
    found = Store(f"sqlite:///{tmp_path}/voicemails.sqlite3", SECRET, clock=clock)
    found.upgrade()
    yield found
    found.close()


def app_on(store: Store, **settings: str) -> Flask:
    store.add_staff("sam", PASSWORD)
    return create_app({**ENV, **settings}, store=store)


@pytest.fixture
def site(store: Store, twilio: TwilioStandIn) -> Flask:
    """The helpline on that store, its Twilio account at the stand-in."""
    return app_on(
        store,
        TWILIO_ACCOUNT_SID=ACCOUNT,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_API_BASE_URL=twilio.base_url,
    )


def signed_in(site: Flask) -> FlaskClient:
    client = site.test_client()
    assert sign_in(client) == 302
    return client


@pytest.fixture
def client(site: Flask) -> FlaskClient:
    return signed_in(site)


def get(client: FlaskClient, path: str) -> str:
    response = client.get(path, base_url=BASE)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_each_voicemail_is_listed_with_a_player(
    client: FlaskClient, store: Store, clock: Clock
) -> None:
    """Time, the part of the guidance by its title, reasons, length, a player of this site's
    own address, and mark-done; practice ones apart; nothing of Twilio's address."""
    first = left(store, CALL, FIRST)
    clock.advance(minutes=5)
    waiting = store.save_voicemail(OTHER_CALL, "main", [], False)
    practice = left(store, "CA" + "3" * 32, SECOND, practice=True)
    clock.advance(minutes=10)
    shown = get(client, "/staff/voicemails/")
    real, _, apart = shown.partition("Practice voicemails (from the practice phones)")
    assert "2 waiting, oldest first." in real
    cells = re.findall(r"<td>([^<]+)</td>", real)
    assert cells[:4] == [
        "27 Nov 12:00, 15m ago",
        "Reason 1: unsure about your diagnosis",
        "unsure about the diagnosis",
        "42 s",
    ]
    assert f'src="/staff/voicemails/{first}/recording"' in real
    assert "The recording is not ready yet." in real  # the one without its recording yet
    assert f"/staff/voicemails/{waiting}/done" in real
    assert f'src="/staff/voicemails/{practice}/recording"' in apart
    assert "api.twilio.com" not in shown and FIRST not in shown and ACCOUNT not in shown


def test_the_page_lets_in_recordings_from_this_site_only(client: FlaskClient) -> None:
    """Its security policy adds media-src 'self' for the players; other pages do not."""
    policy = client.get("/staff/voicemails/", base_url=BASE).headers["Content-Security-Policy"]
    assert "media-src 'self'; " in policy and "default-src 'none'" in policy
    other = client.get("/staff/", base_url=BASE).headers["Content-Security-Policy"]
    assert "media-src" not in other


def test_marking_done_takes_it_off_the_page(client: FlaskClient, store: Store) -> None:
    """Done: gone from the list and the store's open ones; the page says none are waiting."""
    made = left(store, CALL, FIRST)
    token = csrf_of(get(client, "/staff/voicemails/"))
    response = client.post(
        f"/staff/voicemails/{made}/done",
        base_url=BASE,
        headers=SAME_SITE,
        data={"csrf_token": token},
    )
    assert response.status_code == 302
    assert store.open_voicemails() == []
    assert "No voicemails are waiting." in get(client, "/staff/voicemails/")


def test_marking_done_needs_the_csrf_token(client: FlaskClient, store: Store) -> None:
    """Without it: refused, and the voicemail stays open."""
    made = left(store, CALL, FIRST)
    response = client.post(f"/staff/voicemails/{made}/done", base_url=BASE, headers=SAME_SITE)
    assert response.status_code == 400
    assert [v.id for v in store.open_voicemails()] == [made]


def test_the_player_streams_the_recording_from_twilio(
    client: FlaskClient, store: Store, twilio: TwilioStandIn
) -> None:
    """Fetched from Twilio with the account's credentials, passed on as MP3, never cached."""
    made = left(store, CALL, FIRST)
    response = client.get(f"/staff/voicemails/{made}/recording", base_url=BASE)
    assert response.status_code == 200
    assert response.mimetype == "audio/mpeg"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data() == AUDIO
    path = f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/{FIRST}.mp3"
    assert twilio.received == [("GET", path)]


def test_the_player_passes_a_byte_range_on(
    client: FlaskClient, store: Store, twilio: TwilioStandIn
) -> None:
    """A browser seeking asks for a range: Twilio's partial answer is passed on as it is."""
    made = left(store, CALL, FIRST)
    response = client.get(
        f"/staff/voicemails/{made}/recording", base_url=BASE, headers={"Range": "bytes=10-19"}
    )
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 10-19/{len(AUDIO)}"
    assert response.get_data() == AUDIO[10:20]


def test_a_practice_voicemail_plays_a_stand_in(
    client: FlaskClient, store: Store, twilio: TwilioStandIn
) -> None:
    """A practice voicemail has no recording at Twilio: a second of telephone-quality WAV,
    and Twilio is not asked."""
    made = left(store, CALL, FIRST, practice=True)
    response = client.get(f"/staff/voicemails/{made}/recording", base_url=BASE)
    assert (response.status_code, response.mimetype) == (200, "audio/wav")
    with wave.open(io.BytesIO(response.get_data())) as audio:
        shape = (audio.getnchannels(), audio.getsampwidth(), audio.getframerate())
        assert shape == (1, 2, 8000)
        assert audio.getnframes() == 8000
    assert twilio.received == []


@pytest.mark.parametrize(
    ("trouble", "status"),
    [("failing", 502), ("gone", 502), ("unknown", 404), ("done", 404), ("not ready", 404)],
)
def test_a_recording_that_cannot_be_played_says_why(
    client: FlaskClient, store: Store, twilio: TwilioStandIn, trouble: str, status: int
) -> None:
    """Twilio fails or no longer has it: 502; no such open voicemail, or no recording yet:
    404. Never a 500."""
    made = left(store, CALL, FIRST)
    if trouble == "failing":
        twilio.failing.add(FIRST)
    elif trouble == "gone":
        del twilio.recordings[FIRST]
    elif trouble == "unknown":
        made = 4242
    elif trouble == "done":
        assert store.mark_voicemail_done(made)
    else:
        made = store.save_voicemail(OTHER_CALL, "main", [], False)
    response = client.get(f"/staff/voicemails/{made}/recording", base_url=BASE)
    assert response.status_code == status
    assert AUTH_TOKEN not in response.get_data(as_text=True)


def test_without_twilio_credentials_the_player_says_what_is_needed(store: Store) -> None:
    """503, naming the settings."""
    client = signed_in(app_on(store))
    made = left(store, CALL, FIRST)
    response = client.get(f"/staff/voicemails/{made}/recording", base_url=BASE)
    assert response.status_code == 503
    assert "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in response.get_data(as_text=True)


def test_the_player_needs_a_signed_in_member_of_staff(
    site: Flask, store: Store, twilio: TwilioStandIn
) -> None:
    """Without a session: sent to sign in, and Twilio is never asked."""
    made = left(store, CALL, FIRST)
    response = site.test_client().get(f"/staff/voicemails/{made}/recording", base_url=BASE)
    assert response.status_code == 302
    assert "/staff/sign-in" in response.headers["Location"]
    assert twilio.received == []


def queue_a_caller(store: Store, clock: Clock, sid: str, seconds: int, how: str) -> None:
    """A caller who waited `seconds` in the queue, then left it `how`."""
    store.join_queue(sid, "s", "main", [], False)
    clock.advance(seconds=seconds)
    store.left_queue(sid, how)
    clock.advance(seconds=-seconds)


def test_the_dashboard_shows_the_queue_and_voicemails_waiting(
    client: FlaskClient, store: Store, clock: Clock
) -> None:
    """Median and 90th percentile of the answered waits, how callers left, how many wait now,
    and the voicemails waiting (practice ones left out)."""
    ways = [("answered", s) for s in (30, 60, 90, 120, 600)]
    ways += [("callback", 200), ("callback", 300), ("guidance", 20), ("hung_up", 45)]
    ways += [("unanswered", 601)]
    for n, (how, seconds) in enumerate(ways):
        queue_a_caller(store, clock, f"CA{n:032d}", seconds, how)
    store.join_queue("CA" + "f" * 32, "s", "main", [], False)  # still waiting
    store.join_queue("CA" + "e" * 32, "s", "main", [], True)  # practice: not counted
    left(store, CALL, FIRST)
    left(store, OTHER_CALL, SECOND, practice=True)
    clock.advance(minutes=30)
    shown = " ".join(get(client, "/staff/dashboard").split())
    assert (
        "Of the 5 callers a nurse answered from the queue, half waited 90 seconds or less, "
        "and 9 in 10 waited 408 seconds or less." in shown
    )
    assert "1 waiting in the queue now." in shown
    table = re.search(r"How callers left the queue: the figures.*?</table>", shown)
    assert table is not None
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", table.group(0))
    assert rows == [
        ("A nurse answered", "5"),
        ("Left for a call back", "2"),
        ("Went back to the guidance", "1"),
        ("Hung up while waiting", "1"),
        ("Left without reaching a nurse", "1"),
    ]
    assert "1 waiting; the oldest left 30m ago." in shown


def test_an_empty_dashboard_says_nobody_has_queued(client: FlaskClient) -> None:
    """No queue yet, no voicemails: said in words, no chart."""
    shown = get(client, "/staff/dashboard")
    assert "No caller has been answered from the queue in these 14 days." in shown
    assert "Nobody has left the queue yet." in shown
    assert "No voicemails are waiting." in shown


def test_old_queue_entries_are_left_out_of_the_dashboard(
    client: FlaskClient, store: Store, clock: Clock
) -> None:
    """Only the last 14 days count, like the other figures."""
    queue_a_caller(store, clock, "CA" + "1" * 32, 30, "answered")
    clock.advance(days=15)
    assert "No caller has been answered from the queue" in get(client, "/staff/dashboard")
