"""Voicemails in the store, on SQLite and PostgreSQL: saved, given their recording, listed, marked
done, and deleted after the retention period, the recording at a local stand-in of Twilio's
REST API first."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from click.testing import CliRunner
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Request, Response

from ivr.store import Store
from ivr.store import cli as store_cli
from ivr.store.tables import Voicemail
from ivr.store.voicemails import TwilioAccount, VoicemailRecord
from tests import test_store as shared
from tests.conftest import served_wsgi
from tests.test_store import SECRET, Clock, rows

postgres_database = shared.postgres_database
database_url = shared.database_url
clock = shared.clock
store = shared.store

ACCOUNT = "AC" + "a" * 32
AUTH_TOKEN = "stand-in-twilio-token"
CALL = "CA" + "1" * 32
OTHER_CALL = "CA" + "2" * 32
FIRST = "RE" + "1" * 32
SECOND = "RE" + "2" * 32
RECORDING = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Recordings/(RE\w+)\.(json|mp3|wav)$")
AUDIO = b"ID3-stand-in-recording-" * 40


@dataclass
class TwilioStandIn:
    """A local server answering like Twilio's Recordings API: it holds recordings, deletes
    them, serves their audio, refuses other credentials, and fails for the sids it is told to."""

    base_url: str = ""
    recordings: dict[str, bytes] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    received: list[tuple[str, str]] = field(default_factory=list)

    def account(self) -> TwilioAccount:
        """The account whose recordings these are, pointed at this stand-in."""
        return TwilioAccount(ACCOUNT, AUTH_TOKEN, self.base_url)

    def __call__(self, request: Request) -> Response:
        self.received.append((request.method, request.path))
        given = base64.b64decode(request.headers.get("Authorization", "Basic ")[6:]).decode()
        found = RECORDING.match(request.path)
        if given != f"{ACCOUNT}:{AUTH_TOKEN}" or not found or found.group(1) != ACCOUNT:
            return _error(401 if given != f"{ACCOUNT}:{AUTH_TOKEN}" else 404)
        sid, extension = found.group(2), found.group(3)
        if sid in self.failing:
            return _error(500)
        if sid not in self.recordings:
            return _error(404)
        if request.method == "DELETE" and extension == "json":
            del self.recordings[sid]
            return Response(status=204)
        if request.method == "GET" and extension == "mp3":
            held = self.recordings[sid]
            audio = Response(held, content_type="audio/mpeg")
            return audio.make_conditional(request, accept_ranges=True, complete_length=len(held))
        return _error(405)


def _error(status: int) -> Response:
    body = {"code": 20000 + status, "message": f"stand-in error {status}", "status": status}
    return Response(json.dumps(body), status=status, content_type="application/json")


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    """The stand-in, served on loopback, holding two recordings."""
    stand_in = TwilioStandIn(recordings={FIRST: AUDIO, SECOND: AUDIO[::-1]})
    with served_wsgi(Request.application(stand_in)) as base:
        stand_in.base_url = base
        yield stand_in


def left(store: Store, call_sid: str, recording_sid: str, practice: bool = False) -> int:
    """A voicemail left and its recording's status callback, in Twilio's usual order."""
    made = store.save_voicemail(call_sid, "reason_unsure", ["unsure about the diagnosis"], practice)
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording_sid}"
    assert store.recording_done(call_sid, recording_sid, url, 42) == made
    return made


# --- saving ----------------------------------------------------------------------------------


def test_a_voicemail_is_listed_with_its_recording(store: Store, clock: Clock) -> None:
    """Saved by the <Record> action, then given its recording by the status callback."""
    made = store.save_voicemail(CALL, "reason_unsure", ["unsure about the diagnosis"], False)
    [before] = store.open_voicemails()
    assert (before.recording_sid, before.duration_seconds, before.playable) == (None, None, False)
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{FIRST}"
    assert store.recording_done(CALL, FIRST, url, 42) == made
    assert store.open_voicemails() == [
        VoicemailRecord(
            id=made,
            call_sid=CALL,
            created_at=clock.now,
            listening_to="reason_unsure",
            reasons=["unsure about the diagnosis"],
            duration_seconds=42,
            recording_sid=FIRST,
            practice=False,
        )
    ]
    [row] = rows(store, "voicemails")
    assert row["recording_url"] == url


def test_a_recording_that_comes_before_its_action_is_one_voicemail(store: Store) -> None:
    """The status callback may come first: the action then fills in that row, not a new one."""
    early = store.recording_done(CALL, FIRST, "https://api.twilio.com/x", 7)
    assert early is not None
    assert store.save_voicemail(CALL, "nurse_closed", ["a reason"], False) == early
    [voicemail] = store.open_voicemails()
    assert (voicemail.id, voicemail.listening_to, voicemail.reasons) == (
        early,
        "nurse_closed",
        ["a reason"],
    )
    assert voicemail.recording_sid == FIRST


def test_a_status_callback_sent_twice_changes_nothing(store: Store) -> None:
    """Twilio may retry a callback: still one voicemail, with the first details."""
    made = left(store, CALL, FIRST)
    assert store.recording_done(CALL, FIRST, "https://elsewhere.example/x", 99) == made
    [row] = rows(store, "voicemails")
    assert (row["duration_seconds"], row["recording_url"].startswith("https://api")) == (42, True)


def test_each_recording_goes_to_the_latest_voicemail_without_one(store: Store) -> None:
    """Two messages on one call: each recording goes to its own, another call's is untouched."""
    other = store.save_voicemail(OTHER_CALL, "main", [], False)
    first = left(store, CALL, FIRST)
    second = store.save_voicemail(CALL, "help", [], False)
    assert store.recording_done(CALL, SECOND, "https://api.twilio.com/y", 3) == second
    found = {v.id: v.recording_sid for v in store.open_voicemails()}
    assert found == {other: None, first: FIRST, second: SECOND}


def test_one_recording_cannot_belong_to_two_voicemails(store: Store) -> None:
    """The database itself refuses a second row with the same recording sid."""
    left(store, CALL, FIRST)
    again = insert(Voicemail).values(
        call_sid=OTHER_CALL,
        recording_sid=FIRST,
        listening_to="main",
        reasons=[],
        created_at=store.clock(),
    )
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(again)


def test_marking_done_takes_it_off_the_list(store: Store) -> None:
    """Done once: it leaves the list; again, or an unknown id, is False."""
    made = left(store, CALL, FIRST)
    assert store.voicemail(made) is not None
    assert store.mark_voicemail_done(made)
    assert store.open_voicemails() == []
    assert store.voicemail(made) is None
    assert not store.mark_voicemail_done(made)
    assert not store.mark_voicemail_done(4242)


# --- retention -------------------------------------------------------------------------------


def test_a_recording_is_deleted_at_twilio_at_the_end_of_its_retention(
    store: Store, clock: Clock, twilio: TwilioStandIn
) -> None:
    """Done longer ago than the retention period: the recording is deleted at Twilio (by the
    twilio client, with the account's credentials), then the row. Younger ones stay."""
    old = left(store, CALL, FIRST)
    assert store.mark_voicemail_done(old)
    clock.advance(days=60)
    young = left(store, OTHER_CALL, SECOND)
    assert store.mark_voicemail_done(young)
    result = store.purge_voicemails(clock.now + dt.timedelta(days=31), 90, twilio.account())
    assert (result.voicemails, result.recordings, result.kept, result.open_kept) == (1, 1, (), 0)
    path = f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/{FIRST}.json"
    assert twilio.received == [("DELETE", path)]
    assert set(twilio.recordings) == {SECOND}
    assert [r["id"] for r in rows(store, "voicemails")] == [young]


def test_a_failed_delete_keeps_the_row_and_says_so(
    store: Store, clock: Clock, twilio: TwilioStandIn
) -> None:
    """Twilio answers 500: the voicemail is kept, with why, and the next purge deletes it."""
    made = left(store, CALL, FIRST)
    assert store.mark_voicemail_done(made)
    twilio.failing.add(FIRST)
    later = clock.now + dt.timedelta(days=91)
    failed = store.purge_voicemails(later, 90, twilio.account())
    assert (failed.voicemails, failed.recordings) == (0, 0)
    [why] = failed.kept
    assert why.startswith(f"voicemail {made}: Twilio did not delete recording {FIRST}: HTTP 500")
    [row] = rows(store, "voicemails")
    assert row["deleted_at"] is None
    twilio.failing.clear()
    again = store.purge_voicemails(later, 90, twilio.account())
    assert (again.voicemails, again.recordings, again.kept) == (1, 1, ())
    assert rows(store, "voicemails") == []
    assert FIRST not in twilio.recordings


def test_without_credentials_nothing_is_deleted(store: Store, clock: Clock) -> None:
    """No Twilio account in the settings: the recording cannot be deleted, so neither is the
    row, and the purge says what is needed."""
    made = left(store, CALL, FIRST)
    assert store.mark_voicemail_done(made)
    result = store.purge_voicemails(clock.now + dt.timedelta(days=91), 90, None)
    assert result.voicemails == 0
    assert result.kept == (
        f"voicemail {made}: recording {FIRST} not deleted: TWILIO_ACCOUNT_SID and "
        "TWILIO_AUTH_TOKEN are needed",
    )
    assert len(rows(store, "voicemails")) == 1


def test_a_recording_twilio_no_longer_has_counts_as_deleted(
    store: Store, clock: Clock, twilio: TwilioStandIn
) -> None:
    """Deleted at Twilio already (a 404): the row goes."""
    made = left(store, CALL, FIRST)
    assert store.mark_voicemail_done(made)
    del twilio.recordings[FIRST]
    result = store.purge_voicemails(clock.now + dt.timedelta(days=91), 90, twilio.account())
    assert (result.voicemails, result.kept) == (1, ())
    assert rows(store, "voicemails") == []


def test_practice_and_open_voicemails_ask_nothing_of_twilio(
    store: Store, clock: Clock, twilio: TwilioStandIn
) -> None:
    """A practice voicemail has no recording at Twilio: its row goes, Twilio is not asked. One
    not done yet stays, whatever its age, and is counted."""
    practice = left(store, CALL, FIRST, practice=True)
    assert store.mark_voicemail_done(practice)
    waiting = left(store, OTHER_CALL, SECOND)
    result = store.purge_voicemails(clock.now + dt.timedelta(days=91), 90, twilio.account())
    assert (result.voicemails, result.recordings, result.open_kept) == (1, 0, 1)
    assert twilio.received == []
    assert [r["id"] for r in rows(store, "voicemails")] == [waiting]


def test_ivr_purge_deletes_old_voicemails_and_their_recordings(
    database_url: str, twilio: TwilioStandIn
) -> None:
    """`ivr purge` reads the Twilio settings, deletes the recording at Twilio and the row, and
    says so; a recording that could not be deleted is named, on stderr, and the command fails
    so that whoever runs it hears."""
    past = Store(database_url, SECRET, clock=lambda: dt.datetime.now(dt.UTC) - dt.timedelta(100))
    try:
        past.upgrade()
        for call_sid, recording_sid in ((CALL, FIRST), (OTHER_CALL, SECOND)):
            assert past.mark_voicemail_done(left(past, call_sid, recording_sid))
    finally:
        past.close()
    twilio.failing.add(SECOND)
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "RETENTION_DAYS": "90",
    }
    result = CliRunner().invoke(store_cli.purge, [], env=env)
    assert result.exit_code == 1, result.output  # a recording kept past its retention
    assert (
        "Deleted 1 done voicemail(s) older than that, with 1 recording(s) deleted at Twilio."
        in result.stdout
    )
    assert f"Twilio did not delete recording {SECOND}: HTTP 500" in result.stderr
    assert set(twilio.recordings) == {SECOND}
    twilio.failing.clear()
    again = CliRunner().invoke(store_cli.purge, [], env=env)
    assert again.exit_code == 0, again.output
    assert twilio.recordings == {}
