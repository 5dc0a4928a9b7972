"""The store, on SQLite and on a real PostgreSQL server: schema, journal, callbacks, retention.

PostgreSQL tests use TEST_DATABASE_URL (.ci/run starts a server and sets it): each session
makes a database of its own there and drops it at the end. Without TEST_DATABASE_URL they are
skipped on a developer's machine, and fail under CI (CI=true), so they are never lost quietly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import secrets
import socket
import threading
import time
from base64 import urlsafe_b64decode
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from ivr.numbers import PRACTICE_CALLER
from ivr.store import Booking, Store, StoreUnavailable, head_revision
from ivr.store.callbacks import CALLBACKS_PER_NUMBER_A_DAY
from ivr.store.connection import sqlalchemy_url
from ivr.store.journal import StepTaken
from ivr.store.stats import figures, recent_calls
from ivr.store.tables import Base, Call, UTCDateTime
from ivr.store.upgrade import alembic_config
from tests.conftest import missing
from tests.pgcluster import Cluster, ClusterUnavailable, own_cluster

SECRET = "test-store-secret"
CALLER = "+447700900123"
OTHER = "+447700900456"
TABLES = {
    "calls",
    "call_events",
    "transfers",
    "callbacks",
    "api_tokens",
    "staff_users",
    "sign_in_attempts",
    "journal_losses",
    "nurses",
    "nurse_legs",
    "queue_entries",
    "voicemails",
    "texts",
    "text_allowances",
    "feedback",
    "alembic_version",
}
# Nothing listens on port 1: connections are refused at once, as with a stopped server.
CLOSED_PORT_URL = "postgresql://ivr:ivr@127.0.0.1:1/ivr"


class Clock:
    """A clock the test moves: the store's idea of now."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


# --- fixtures (imported by test_staff_api.py and test_store_cli.py) --------------------------


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A new database on TEST_DATABASE_URL's server for this session, dropped at the end."""
    given = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not given:
        message = (
            "TEST_DATABASE_URL is not set, so the PostgreSQL tests cannot run: set it to "
            "postgresql://user:password@127.0.0.1:5432/db for a role that may CREATE DATABASE "
            "(.ci/run shows how)"
        )
        missing(message)
    admin = create_engine(sqlalchemy_url(given), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"ivr_test_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as error:
        admin.dispose()
        pytest.fail(f"cannot make a test database with TEST_DATABASE_URL: {error}")
    try:
        yield make_url(sqlalchemy_url(given)).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'instance' / 'helpline.sqlite3'}"
    url: str = request.getfixturevalue("postgres_database")
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    return url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database_url: str, clock: Clock) -> Iterator[Store]:
    """A migrated store on each database, closed at the end."""
    found = Store(database_url, SECRET, clock=clock)
    found.upgrade()
    yield found
    found.close()


# --- helpers ---------------------------------------------------------------------------------


def count(store: Store, table: str) -> int:
    with store.engine.connect() as connection:
        found = connection.scalar(text(f"SELECT count(*) FROM {table}"))
    return int(found or 0)


def rows(store: Store, table: str) -> list[dict[str, Any]]:
    with store.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table}"))]


def where_found(store: Store, needle: str) -> list[str]:
    """Every table.column whose value holds `needle`: every column of every table, read as text."""
    found = []
    for table in inspect(store.engine).get_table_names():
        for row in rows(store, table):
            found += [f"{table}.{column}" for column, value in row.items() if needle in str(value)]
    return found


def journal_a_call(store: Store, sid: str = "CA01", caller: str | None = CALLER) -> None:
    store.call_started(sid, caller)
    store.call_step(sid, "new-call", "", "main", "ask")
    store.call_step(sid, "main", "1", "info", "ask")
    store.call_step(sid, "info", "0", "nurse", "transfer")
    store.transfer_ended(sid, "nurse", "busy")
    store.call_step(sid, "nurse", "dial:busy", "nurse_busy", "ask")
    store.call_ended(sid, "completed", 95)


def journal_a_practice_call(store: Store, sid: str = "CA-PRACTICE") -> None:
    """A call from the practice phones, along another path than `journal_a_call`'s."""
    store.call_started(sid, PRACTICE_CALLER)
    store.call_step(sid, "new-call", "", "main", "ask")
    store.call_step(sid, "main", "2", "help", "ask")
    store.call_step(sid, "help", "0", "nurse", "transfer")
    store.transfer_ended(sid, "nurse", "completed")
    store.call_ended(sid, "completed", 40)


def migrate(store: Store, revision: str, *, down: bool = False) -> None:
    """Take the database to one revision, as an older release would have left it."""
    from alembic import command

    with store.engine.begin() as connection:
        move = command.downgrade if down else command.upgrade
        move(alembic_config(connection), revision)


# --- schema ----------------------------------------------------------------------------------


def test_migrations_create_exactly_the_schema_of_the_models(store: Store) -> None:
    """`upgrade` makes every table, at the newest revision, as schema.py describes them."""
    assert set(inspect(store.engine).get_table_names()) == TABLES
    assert store.current_revision() == head_revision()
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    store.upgrade()  # a second time changes nothing
    assert store.current_revision() == head_revision()


def test_upgrades_started_together_do_not_race(database_url: str) -> None:
    """Web workers (SQLite) or two releases may upgrade at once: one waits for the other."""
    stores = [Store(database_url, SECRET) for _ in range(4)]
    failures: list[BaseException] = []

    def upgrade(store: Store) -> None:
        try:
            store.upgrade()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=upgrade, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert {store.current_revision() for store in stores} == {head_revision()}
    for store in stores:
        store.close()


def test_calls_journalled_before_practice_calls_were_marked_count_as_real(
    database_url: str,
) -> None:
    """Upgrading from 0002 keeps the calls and marks them real; downgrading drops the mark."""
    store = Store(database_url, SECRET)
    try:
        migrate(store, "0002")
        # The calls table as 0002 made it, without the practice column.
        old_calls = sa.table("calls", sa.column("call_sid"), sa.column("started_at", UTCDateTime))
        with store.engine.begin() as connection:
            connection.execute(
                sa.insert(old_calls).values(call_sid="CA-OLD", started_at=store.clock())
            )
        store.upgrade()
        [call] = rows(store, "calls")
        assert (call["call_sid"], bool(call["practice"])) == ("CA-OLD", False)
        assert figures(store.engine).practice_calls_left_out == 0
        migrate(store, "0002", down=True)
        assert "practice" not in {c["name"] for c in inspect(store.engine).get_columns("calls")}
        assert [r["call_sid"] for r in rows(store, "calls")] == ["CA-OLD"]
    finally:
        store.close()


def test_numbers_keyed_before_are_scrubbed_from_the_journal(database_url: str) -> None:
    """Upgrading to 0004 replaces any run of keys kept in `heard` (a number keyed for a call
    back, an entry code) with "keys:number"; single keys and the rest stay as they were."""
    store = Store(database_url, SECRET)
    try:
        migrate(store, "0003")
        heard = ["07400123456#", "02079460958", "1", "#", "silence", "dial:busy", "speech:3words"]
        events = sa.table(
            "call_events",
            *(sa.column(name) for name in ("call_sid", "from_node", "heard", "to_node", "kind")),
            sa.column("at", UTCDateTime),
        )
        calls = sa.table("calls", sa.column("call_sid"), sa.column("started_at", UTCDateTime))
        with store.engine.begin() as connection:
            connection.execute(sa.insert(calls).values(call_sid="CA-OLD", started_at=store.clock()))
            connection.execute(
                sa.insert(events),
                [
                    {
                        "call_sid": "CA-OLD",
                        "from_node": "callback",
                        "heard": h,
                        "to_node": "callback",
                        "kind": "ask",
                        "at": store.clock(),
                    }
                    for h in heard
                ],
            )
        store.upgrade()
        kept = [r["heard"] for r in sorted(rows(store, "call_events"), key=lambda r: r["id"])]
        assert kept == [
            "keys:number",
            "keys:number",
            "1",
            "#",
            "silence",
            "dial:busy",
            "speech:3words",
        ]
    finally:
        store.close()


def open_callback_as_0002(store: Store, call_sid: str) -> None:
    """An open request for CALLER, written in the columns of the callbacks table 0002 made."""
    old_callbacks = sa.table(
        "callbacks",
        *(sa.column(name) for name in ("call_sid", "number", "number_hash", "listening_to")),
        sa.column("created_at", UTCDateTime),
        sa.column("reasons", sa.JSON),
    )
    row = {
        "call_sid": call_sid,
        "number": CALLER,
        "number_hash": store.hash_number(CALLER),
        "listening_to": "info",
        "created_at": store.clock(),
        "reasons": [],
    }
    with store.engine.begin() as connection:
        connection.execute(sa.insert(old_callbacks).values(row))


def test_call_backs_booked_before_practice_ones_were_marked_count_as_real(
    database_url: str,
) -> None:
    """Upgrading from 0002 keeps open requests as real ones; downgrading deletes practice ones
    (an older release would list them to be rung) and brings back one request per number."""
    store = Store(database_url, SECRET)
    try:
        migrate(store, "0002")
        open_callback_as_0002(store, "CA-OLD")
        store.upgrade()
        [old] = store.open_callbacks()
        assert (old.number, old.practice) == (CALLER, False)
        assert store.book_callback("CA-PRACTICE", CALLER, "info", [], practice=True).created
        migrate(store, "0002", down=True)
        assert "practice" not in {c["name"] for c in inspect(store.engine).get_columns("callbacks")}
        assert [(r["call_sid"], r["number"]) for r in rows(store, "callbacks")] == [
            ("CA-OLD", CALLER)
        ]
        with pytest.raises(IntegrityError):  # one open request per number again
            open_callback_as_0002(store, "CA-TWICE")
        store.upgrade()
        assert [c.practice for c in store.open_callbacks()] == [False]
    finally:
        store.close()


def test_a_new_database_has_no_revision_and_says_to_upgrade(database_url: str) -> None:
    """Before the first upgrade the revision is None, and using it names `ivr db upgrade`."""
    fresh = Store(database_url, SECRET)
    try:
        assert fresh.current_revision() is None
        with pytest.raises(StoreUnavailable, match="ivr db upgrade"):
            fresh.open_callbacks()
    finally:
        fresh.close()


def test_the_sqlite_file_is_made_with_its_folder(tmp_path: Path) -> None:
    """The default database lives in instance/, which a fresh checkout does not have."""
    path = tmp_path / "instance" / "deeper" / "helpline.sqlite3"
    made = Store(f"sqlite:///{path}", SECRET)
    made.upgrade()
    made.close()
    assert path.is_file()


def test_a_store_needs_a_secret_key() -> None:
    """A store without a secret key (which keys its number hashes) is refused."""
    with pytest.raises(ValueError, match="secret key"):
        Store("sqlite:///unused.sqlite3", "")


# --- the journal -----------------------------------------------------------------------------


def test_the_journal_writes_a_whole_call(store: Store, clock: Clock) -> None:
    """Start, steps with keys, a transfer and its outcome, the end and duration: all written."""
    journal_a_call(store)
    assert store.flush(10)
    assert store.journal_stats() == {"written": 7, "dropped": 0, "failed": 0, "queued": 0}
    [call] = rows(store, "calls")
    assert call["call_sid"] == "CA01"
    assert call["caller_hash"] == store.hash_number(CALLER)
    assert call["status"] == "completed"
    assert call["duration_seconds"] == 95
    assert count(store, "call_events") == 4
    [transfer] = rows(store, "transfers")
    assert (transfer["target"], transfer["outcome"]) == ("nurse", "busy")
    with store.engine.connect() as connection:
        steps = connection.execute(
            text("SELECT from_node, heard, to_node, kind FROM call_events ORDER BY id")
        ).all()
    assert [tuple(step) for step in steps] == [
        ("new-call", "", "main", "ask"),
        ("main", "1", "info", "ask"),
        ("info", "0", "nurse", "transfer"),
        ("nurse", "dial:busy", "nurse_busy", "ask"),
    ]


def test_the_journal_keeps_times_in_utc(store: Store, clock: Clock) -> None:
    """Times come back as aware UTC datetimes on both databases."""
    store.call_started("CA01", CALLER)
    clock.advance(seconds=95)
    store.call_ended("CA01", "completed", 95)
    assert store.flush(10)
    with store.engine.connect() as connection:
        call = connection.execute(select(Call)).one()
    assert call.started_at == dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    assert call.ended_at == dt.datetime(2026, 11, 27, 12, 1, 35, tzinfo=dt.UTC)


def test_steps_of_a_call_whose_start_was_lost_are_still_written(store: Store) -> None:
    """A step for an unknown call makes the call's row (with no caller) rather than fail."""
    store.call_step("CA02", "main", "2", "help", "ask")
    store.call_ended("CA02", "completed", 30)
    assert store.flush(10)
    [call] = rows(store, "calls")
    assert (call["call_sid"], call["caller_hash"], call["duration_seconds"]) == ("CA02", None, 30)
    assert count(store, "call_events") == 1
    assert store.journal_stats()["failed"] == 0


def test_withheld_numbers_and_long_values_do_not_break_the_journal(store: Store) -> None:
    """'anonymous' is no number to hash; over-long values are cut to fit, not refused."""
    store.call_started("CA03", "anonymous")
    store.call_step("CA03", "n" * 300, "h" * 300, "m" * 300, "k" * 300)
    store.transfer_ended("CA03", "t" * 300, "o" * 300)
    assert store.flush(10)
    assert store.journal_stats()["failed"] == 0
    assert rows(store, "calls")[0]["caller_hash"] is None


def test_nul_bytes_and_durations_out_of_range_are_cleaned_not_refused(store: Store) -> None:
    """PostgreSQL refuses a NUL byte in text and an integer past its column: such values are
    cleaned on the way in, so a whole batch of other calls' steps is never lost for them."""
    for n in range(20):
        store.call_step(f"CA{n:02d}", "main", "1", "about", "ask")
    store.call_step("CA99", "ma\x00in", "1\x00", "about", "ask")
    store.call_ended("CA98", "completed", 2**40)
    assert store.flush(10)
    assert store.journal_stats()["failed"] == 0
    assert count(store, "call_events") == 21
    kept = {r["call_sid"]: r for r in rows(store, "call_events")}["CA99"]
    assert (kept["from_node"], kept["heard"]) == ("main", "1")
    assert {r["call_sid"]: r["duration_seconds"] for r in rows(store, "calls")}["CA98"] is None


def test_a_batch_the_database_refuses_is_saved_event_by_event(store: Store) -> None:
    """When one event still breaks a batch, the others of the batch are written one by one and
    only the bad one is lost, and counted."""
    good = [StepTaken(f"CA{n:02d}", store.clock(), "main", "1", "about", "ask") for n in range(10)]
    bad = StepTaken("CA-BAD", None, "main", "1", "about", "ask")  # type: ignore[arg-type]
    store.journal._write_one_by_one([*good[:5], bad, *good[5:]])
    assert count(store, "call_events") == 10
    written, lost = store.journal._write_one_by_one([bad])
    assert (written, lost) == (0, 1)
    # Through the writer thread: the batch fails, the rest are saved, one is counted lost.
    for event in [*good[:3], bad]:
        store.journal.put(event)
    assert store.flush(10)
    assert count(store, "call_events") == 13
    assert store.journal_stats()["failed"] == 1
    # The next good write also records the loss, where staff see it on the dashboard.
    store.call_step("CA-NEXT", "main", "1", "about", "ask")
    assert store.flush(10)
    assert [(r["failed"], r["dropped"]) for r in rows(store, "journal_losses")] == [(1, 0)]
    assert figures(store.engine, now=store.clock()).journal_events_lost == 1


def test_a_call_from_the_practice_phones_is_marked_practice(store: Store) -> None:
    """The practice number marks its call; any other caller, or none, is a real call."""
    journal_a_call(store, "CA-REAL", CALLER)
    journal_a_practice_call(store, "CA-PRACTICE")
    journal_a_call(store, "CA-WITHHELD", "anonymous")
    store.call_step("CA-NO-START", "main", "1", "info", "ask")  # its start was lost
    assert store.flush(10)
    marked = {row["call_sid"]: bool(row["practice"]) for row in rows(store, "calls")}
    assert marked == {
        "CA-REAL": False,
        "CA-PRACTICE": True,
        "CA-WITHHELD": False,
        "CA-NO-START": False,
    }
    assert where_found(store, PRACTICE_CALLER.removeprefix("+")) == []


def test_many_calls_are_written_in_batches(store: Store) -> None:
    """A burst of calls from several threads is written completely."""

    def calls(first: int) -> None:
        for n in range(first, first + 50):
            journal_a_call(store, f"CA{n:04d}")

    threads = [threading.Thread(target=calls, args=(t * 50,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.flush(30)
    assert store.journal_stats()["written"] == 200 * 7
    assert count(store, "calls") == 200
    assert count(store, "call_events") == 200 * 4


# --- staff figures ---------------------------------------------------------------------------


def test_figures_leave_practice_calls_their_steps_and_transfers_out(
    store: Store, clock: Clock
) -> None:
    """Only the real call is counted, everywhere; the practice call is counted as left out."""
    journal_a_call(store, "CA-REAL", CALLER)
    journal_a_practice_call(store)
    assert store.flush(10)
    shown = figures(store.engine, now=clock.now)
    assert sum(n for _, n in shown.calls_per_day) == 1
    assert shown.calls_per_day[-1] == ("2026-11-27", 1)
    assert shown.parts_heard == [("info", 1), ("main", 1), ("nurse_busy", 1)]
    assert shown.drop_off == [("nurse_busy", 1)]
    assert shown.transfer_outcomes == [("busy", 1)]
    assert shown.seconds_to_person == [0.0]
    assert shown.practice_calls_left_out == 1
    # Practice calls from before the period shown are not counted as left out of it either.
    later = figures(store.engine, now=clock.now + dt.timedelta(days=20))
    assert later.practice_calls_left_out == 0


def test_recent_calls_list_practice_calls_marked(store: Store, clock: Clock) -> None:
    """Staff still see practice calls among recent calls, with their path, marked as practice."""
    journal_a_call(store, "CA-REAL", CALLER)
    clock.advance(minutes=1)
    journal_a_practice_call(store)
    assert store.flush(10)
    practice, real = recent_calls(store.engine)
    assert (practice.call_sid, practice.practice, real.call_sid, real.practice) == (
        "CA-PRACTICE",
        True,
        "CA-REAL",
        False,
    )
    assert practice.path == ["main", "help", "nurse"]
    assert practice.transfers == [("nurse", "completed")]


# --- numbers ---------------------------------------------------------------------------------


def test_hashes_are_keyed_and_stable() -> None:
    """The same key gives the same hash; another key another; a plain SHA-256 is not used."""
    import hashlib

    one = Store("sqlite:///unused.sqlite3", "key-one")
    two = Store("sqlite:///unused.sqlite3", "key-two")
    again = Store("sqlite:///unused.sqlite3", "key-one")
    assert one.hash_number(CALLER) == again.hash_number(CALLER) == one.hash_number(f" {CALLER} ")
    assert one.hash_number(CALLER) != two.hash_number(CALLER)
    assert one.hash_number(CALLER) != hashlib.sha256(CALLER.encode()).hexdigest()
    assert len(one.hash_number(CALLER)) == 64
    for made in (one, two, again):
        made.close()


def test_a_number_is_in_clear_only_in_its_open_callback_request(store: Store) -> None:
    """Every column of every table is searched for the number's digits."""
    digits = CALLER.removeprefix("+")
    journal_a_call(store, "CA01", CALLER)
    journal_a_call(store, "CA02", OTHER)
    booking = store.book_callback("CA01", CALLER, "info", ["nurse line closed"])
    done = store.book_callback("CA02", OTHER, "help", ["busy"])
    assert store.mark_done(done.id)
    store.create_token("alice")
    assert store.flush(10)
    assert where_found(store, digits) == ["callbacks.number"]
    assert where_found(store, OTHER.removeprefix("+")) == []
    hashed = ["callbacks.number_hash", "calls.caller_hash"]
    assert sorted(where_found(store, store.hash_number(CALLER))) == hashed
    assert store.mark_done(booking.id)
    assert where_found(store, digits) == []


def test_no_number_is_logged_even_when_the_database_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Failures are logged, and neither the number nor its hash is in the log."""
    down = Store(CLOSED_PORT_URL, SECRET)
    with caplog.at_level(logging.DEBUG):
        down.call_started("CA01", CALLER)
        down.flush(10)
        with pytest.raises(StoreUnavailable) as raised:
            down.book_callback("CA01", CALLER, "info", ["nurse line closed"])
    down.close()
    assert "journal write failed" in caplog.text
    for secret in (CALLER.removeprefix("+"), down.hash_number(CALLER)):
        assert secret not in caplog.text
        assert secret not in str(raised.value)


# --- callback requests -----------------------------------------------------------------------


def test_a_booking_is_listed_with_what_the_caller_was_hearing(store: Store, clock: Clock) -> None:
    """A booked request is listed whole: number, time, what the caller heard, reasons, call."""
    booking = store.book_callback("CA01", CALLER, "info.second_opinion", ["closed", "busy"])
    assert booking.created
    [found] = store.open_callbacks()
    assert found.id == booking.id
    assert found.number == CALLER
    assert found.created_at == clock.now
    assert found.listening_to == "info.second_opinion"
    assert found.reasons == ["closed", "busy"]
    assert found.call_sid == "CA01"
    assert found.practice is False


def test_asking_again_while_a_request_is_open_does_not_pile_up(store: Store) -> None:
    """The same number while one is open: the open one, not a second; once done, a new one."""
    first = store.book_callback("CA01", CALLER, "info", ["closed"])
    again = store.book_callback("CA02", f" {CALLER}", "help", ["busy"])
    assert (again.id, again.created) == (first.id, False)
    assert len(store.open_callbacks()) == 1
    assert store.mark_done(first.id)
    later = store.book_callback("CA03", CALLER, "help", ["busy"])
    assert later.created and later.id != first.id


def test_one_call_books_one_call_back_whatever_the_number(store: Store) -> None:
    """A second number asked for on the same call is not booked: the first one stands."""
    first = store.book_callback("CA01", CALLER, "info", [])
    second = store.book_callback("CA01", "+441614960585", "info", [])
    assert second == Booking(first.id, created=False)
    assert [c.number for c in store.open_callbacks()] == [CALLER]
    # Once that call back is done, the call may ask again (it is a new request).
    assert store.mark_done(first.id)
    assert store.book_callback("CA01", "+441614960585", "info", []).created


def test_a_number_is_booked_at_most_three_times_a_day(store: Store, clock: Clock) -> None:
    """Calls from many lines cannot have one number rung over and over in a day."""
    for n in range(CALLBACKS_PER_NUMBER_A_DAY):
        booking = store.book_callback(f"CA{n}", CALLER, "info", [])
        assert booking.created
        assert store.mark_done(booking.id)
    over = store.book_callback("CA9", CALLER, "info", [])
    assert over == Booking(booking.id, created=False)
    assert store.open_callbacks() == []
    clock.advance(days=1, seconds=1)
    assert store.book_callback("CA10", CALLER, "info", []).created


def test_practice_and_real_requests_for_one_number_are_kept_apart(store: Store) -> None:
    """A request from the practice phones is never taken for a real one, nor a real one for it."""
    real = store.book_callback("CA01", CALLER, "info", [])
    practice = store.book_callback("CA02", CALLER, "info", [], practice=True)
    assert practice.created and practice.id != real.id
    assert store.book_callback("CA03", CALLER, "help", [], practice=True) == Booking(
        practice.id, created=False
    )
    assert store.book_callback("CA04", CALLER, "help", []) == Booking(real.id, created=False)
    listed = store.open_callbacks()
    assert [(c.id, c.practice) for c in listed] == [(real.id, False), (practice.id, True)]
    assert store.mark_done(practice.id)
    assert store.book_callback("CA05", CALLER, "help", [], practice=True).created


def test_requests_at_the_same_moment_from_many_workers_make_one(store: Store) -> None:
    """Bookings racing each other: the database's unique index lets exactly one in."""
    start = threading.Barrier(8)
    bookings = []

    def book(n: int) -> None:
        start.wait()
        bookings.append(store.book_callback(f"CA{n}", CALLER, "info", []))

    threads = [threading.Thread(target=book, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(bookings) == 8
    assert sum(b.created for b in bookings) == 1
    assert len({b.id for b in bookings}) == 1
    assert count(store, "callbacks") == 1


def test_open_requests_are_listed_oldest_first(store: Store, clock: Clock) -> None:
    """Open requests come oldest first, whatever order their numbers sort in."""
    numbers = ["+447700900003", "+447700900001", "+447700900002"]
    for n, number in enumerate(numbers):
        store.book_callback(f"CA{n}", number, "info", [])  # one call back a call
        clock.advance(minutes=5)
    assert [c.number for c in store.open_callbacks()] == numbers


def test_marking_done_deletes_the_number_and_keeps_its_hash(store: Store, clock: Clock) -> None:
    """Marking done deletes the number but keeps its hash and the time; only once, and only for
    a request that exists."""
    booking = store.book_callback("CA01", CALLER, "info", ["closed"])
    clock.advance(hours=2)
    assert store.mark_done(booking.id)
    assert not store.mark_done(booking.id)  # already done
    assert not store.mark_done(9999)  # unknown
    assert store.open_callbacks() == []
    [row] = rows(store, "callbacks")
    assert row["number"] is None
    assert row["number_hash"] == store.hash_number(CALLER)
    assert row["done_at"] is not None


def test_the_database_refuses_a_done_request_that_keeps_its_number(store: Store) -> None:
    """A check constraint, so no other code path (or hand-written SQL) can keep one."""
    booking = store.book_callback("CA01", CALLER, "info", [])
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(
            text("UPDATE callbacks SET done_at = created_at WHERE id = :id"), {"id": booking.id}
        )


def test_a_booking_needs_a_number_in_e164_form(store: Store) -> None:
    """A bad number is a ValueError whose message does not repeat it."""
    for bad in ("07700900123", "anonymous", "", "+0123"):
        with pytest.raises(ValueError, match=r"E\.164") as raised:
            store.book_callback("CA01", bad, "info", [])
        assert not bad or bad not in str(raised.value)


# --- retention -------------------------------------------------------------------------------


def test_purge_deletes_what_is_older_than_the_retention_period(store: Store, clock: Clock) -> None:
    """Old calls with their steps and transfers, and long-done requests, go; open ones stay."""
    journal_a_call(store, "CA-OLD")
    old_open = store.book_callback("CA-OLD", CALLER, "info", ["closed"])
    old_done = store.book_callback("CA-OLD-2", OTHER, "info", ["closed"])
    assert store.mark_done(old_done.id)
    assert store.flush(10)
    clock.advance(days=60)
    journal_a_call(store, "CA-NEW")
    recent_done = store.book_callback("CA-NEW", "+447700900789", "help", [])
    assert store.mark_done(recent_done.id)
    assert store.flush(10)

    result = store.purge(clock.now + dt.timedelta(days=31), retention_days=90)
    assert (result.calls, result.call_events, result.transfers) == (1, 4, 1)
    assert (result.callbacks, result.open_callbacks_kept) == (1, 1)
    assert [r["call_sid"] for r in rows(store, "calls")] == ["CA-NEW"]
    assert count(store, "call_events") == 4
    assert {r["id"] for r in rows(store, "callbacks")} == {old_open.id, recent_done.id}
    assert [c.number for c in store.open_callbacks()] == [CALLER]
    again = store.purge(clock.now + dt.timedelta(days=31), retention_days=90)
    assert (again.calls, again.callbacks) == (0, 0)


def test_no_done_request_keeps_a_number_after_purge(store: Store) -> None:
    """Done requests inside the retention period stay, but with no number."""
    for n, number in enumerate((CALLER, OTHER)):
        assert store.mark_done(store.book_callback(f"CA{n}", number, "info", []).id)
    store.purge(store.clock(), retention_days=90)
    assert [r["number"] for r in rows(store, "callbacks")] == [None, None]
    assert where_found(store, CALLER.removeprefix("+")) == []


# --- staff tokens ----------------------------------------------------------------------------


def test_tokens_are_kept_hashed_and_checked(store: Store) -> None:
    """A staff token is long and random, checked exactly, and stored only as a hash."""
    token = store.create_token("alice")
    # After the prefix, 32 random bytes in URL-safe base64 (43 characters, no padding).
    assert (
        token.startswith("ivr_") and len(urlsafe_b64decode(token.removeprefix("ivr_") + "=")) == 32
    )
    assert store.check_token(token)
    assert not store.check_token(token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not store.check_token("")
    assert not store.check_token("Bearer " + token)
    assert where_found(store, token) == []
    [row] = rows(store, "api_tokens")
    assert row["name"] == "alice"
    assert store.create_token("alice") != token


# --- a database that is down, slow or silent -------------------------------------------------


def test_a_database_that_is_down_never_holds_up_a_call() -> None:
    """Journal calls return at once; flush counts the failures; a booking says it failed."""
    down = Store(CLOSED_PORT_URL, SECRET)
    began = time.monotonic()
    for n in range(50):
        journal_a_call(down, f"CA{n}")
    assert time.monotonic() - began < 0.5
    assert down.flush(10)
    stats = down.journal_stats()
    assert stats["written"] == 0
    assert stats["failed"] + stats["dropped"] == 350
    began = time.monotonic()
    with pytest.raises(StoreUnavailable, match="booking a callback"):
        down.book_callback("CA01", CALLER, "info", [])
    assert time.monotonic() - began < 3
    for operation in (down.open_callbacks, lambda: down.check_token("ivr_x")):
        with pytest.raises(StoreUnavailable):
            operation()
    down.close()


class Proxy:
    """A TCP proxy in front of a server, to stop it, silence it and start it again at will.

    `stop()` closes every connection and refuses new ones, as a stopped server does;
    `silence()` accepts connections and never answers, as a hung server or a lost network does.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.mode = "forward"
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None
        self.start()

    def start(self) -> None:
        self.mode = "forward"
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.settimeout(0.05)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self) -> None:
        self.mode = "stopped"
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        self._cut()

    def silence(self) -> None:
        self.mode = "silent"
        self._cut()

    def close(self) -> None:
        self.stop()

    def _cut(self) -> None:
        with self.lock:
            found, self.sockets = self.sockets, []
        for sock in found:
            with contextlib.suppress(OSError):  # already closed by the other side
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self.listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                self.sockets.append(client)
            if self.mode != "forward":
                continue  # held open, never answered
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                continue
            with self.lock:
                self.sockets.append(server)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.mode != "forward":
                    return
                sink.sendall(data)
        except OSError:
            return


@pytest.fixture
def proxied(postgres_database: str) -> Iterator[tuple[str, Proxy]]:
    """The test PostgreSQL database migrated, and its URL through a proxy the test controls."""
    migrated = Store(postgres_database, SECRET)
    migrated.upgrade()
    migrated.close()
    url = make_url(postgres_database)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    yield url.set(host="127.0.0.1", port=proxy.port).render_as_string(False), proxy
    proxy.close()


def test_a_server_stopped_mid_call_and_started_again(proxied: tuple[str, Proxy]) -> None:
    """Writes work, fail quickly (counted, or refused to the caller) while down, then resume."""
    url, proxy = proxied
    store = Store(url, SECRET, write_timeout=1.0)
    try:
        journal_a_call(store, "CA-BEFORE")
        assert store.book_callback("CA-BEFORE", CALLER, "info", []).created
        assert store.flush(10)
        assert store.journal_stats()["written"] == 7

        proxy.stop()
        began = time.monotonic()
        journal_a_call(store, "CA-DURING")
        assert time.monotonic() - began < 0.1
        with pytest.raises(StoreUnavailable):
            store.book_callback("CA-DURING", OTHER, "info", [])
        assert time.monotonic() - began < 2
        assert store.flush(10)
        assert store.journal_stats()["failed"] == 7

        proxy.start()
        journal_a_call(store, "CA-AFTER")
        assert store.book_callback("CA-AFTER", OTHER, "info", []).created
        assert store.flush(10)
        stats = store.journal_stats()
        assert (stats["written"], stats["failed"], stats["dropped"]) == (14, 7, 0)
        assert [c.number for c in store.open_callbacks()] == [CALLER, OTHER]
    finally:
        store.close(timeout=1)


def test_a_server_that_stops_answering_is_given_up_on_in_time(
    proxied: tuple[str, Proxy],
) -> None:
    """A hung server: the booking fails within write_timeout; the full journal drops, counted."""
    url, proxy = proxied
    store = Store(url, SECRET, write_timeout=1.0, queue_size=20)
    try:
        proxy.silence()
        began = time.monotonic()
        for n in range(10):
            journal_a_call(store, f"CA{n}")
        assert time.monotonic() - began < 0.1
        with pytest.raises(StoreUnavailable, match="no answer in 1 s"):
            store.book_callback("CA01", CALLER, "info", [])
        assert time.monotonic() - began < 1.5
        assert not store.flush(0.2)  # the writer is still waiting: flush says so, in time
        # The writer holds one batch (at most the queue's 20) while it waits on the server.
        assert store.journal_stats()["dropped"] >= 70 - 20 - 20
    finally:
        proxy.close()  # the writer's wait ends now
        store.close(timeout=5)
    stats = store.journal_stats()
    assert stats["written"] == 0
    assert stats["failed"] + stats["dropped"] == 70


# --- a real PostgreSQL server, stopped and started -------------------------------------------


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    try:
        with own_cluster() as made:
            yield made
    except ClusterUnavailable as why:
        missing(str(why))


def test_a_real_server_stopped_and_started_again(cluster: Cluster) -> None:
    """pg_ctl stop mid-call: calls go on, the booking is refused; after start, all works again."""
    store = Store(cluster.url, SECRET, write_timeout=2.0)
    try:
        store.upgrade()
        journal_a_call(store, "CA-BEFORE")
        assert store.book_callback("CA-BEFORE", CALLER, "info", []).created
        assert store.flush(10)

        cluster.stop()
        began = time.monotonic()
        journal_a_call(store, "CA-DURING")
        assert time.monotonic() - began < 0.1
        with pytest.raises(StoreUnavailable):
            store.book_callback("CA-DURING", OTHER, "info", [])
        assert time.monotonic() - began < 3
        assert store.flush(10)

        cluster.start()
        journal_a_call(store, "CA-AFTER")
        assert store.book_callback("CA-AFTER", OTHER, "info", []).created
        assert store.flush(10)
        stats = store.journal_stats()
        assert (stats["written"], stats["failed"]) == (14, 7)
        assert [c.number for c in store.open_callbacks()] == [CALLER, OTHER]
    finally:
        store.close(timeout=1)
