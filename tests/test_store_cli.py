"""The database's commands, as staff and a release step run them, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from hashlib import sha256
from pathlib import Path

import argon2
import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from ivr.store import Store, head_revision
from ivr.store import cli as store_cli
from ivr.store.accounts import SignInRefused, StaffSession
from ivr.store.tables import UTCDateTime
from ivr.store.upgrade import MIGRATIONS
from tests import test_store as shared
from tests.test_store import (
    CALLER,
    CLOSED_PORT_URL,
    OTHER,
    SECRET,
    count,
    journal_a_call,
    migrate,
    rows,
)

# The store's fixtures, on SQLite and PostgreSQL, shared by name.
postgres_database = shared.postgres_database
database_url = shared.database_url

Run = Callable[..., Result]
PASSWORD = "a long enough password"
NEW_PASSWORD = "another long enough password"


def runner(database_url: str) -> Run:
    """Run a command as `ivr ...` would, with DATABASE_URL and SECRET_KEY set."""

    @click.group()
    def ivr() -> None:
        """The `ivr` command, with only the database's commands."""

    store_cli.register(ivr)

    def invoke(*args: str, input: str | None = None, **env: str) -> Result:
        environment = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET, **env}
        return CliRunner().invoke(ivr, list(args), env=environment, input=input)

    return invoke


@pytest.fixture
def run(database_url: str) -> Run:
    return runner(database_url)


@contextmanager
def store_at(database_url: str, ago: dt.timedelta = dt.timedelta()) -> Iterator[Store]:
    """A store whose clock runs `ago` behind, to make requests and calls of the past."""
    store = Store(database_url, SECRET, clock=lambda: dt.datetime.now(dt.UTC) - ago)
    try:
        yield store
    finally:
        store.close()


def book(database_url: str, number: str, ago: dt.timedelta = dt.timedelta()) -> int:
    with store_at(database_url, ago) as store:
        return store.book_callback("CA01", number, "info", ["nurse line closed"]).id


def test_register_adds_the_commands() -> None:
    """register adds the store's commands to a click group."""
    group = click.Group("ivr")
    store_cli.register(group)
    assert set(group.commands) == {"db", "callbacks", "purge", "staff"}


def test_db_upgrade_makes_the_tables_and_current_says_so(run: Run) -> None:
    """db current fails before an upgrade; db upgrade makes the tables (twice is harmless),
    names the revision, and never shows the password."""
    before = run("db", "current")
    assert before.exit_code == 1
    assert "run `ivr db upgrade`" in before.output
    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert f"The database is at revision {head_revision()}, the newest" in upgraded.output
    assert ":ivr@" not in upgraded.output  # PostgreSQL's password is not shown
    assert run("db", "upgrade").exit_code == 0
    assert run("db", "current").exit_code == 0


def test_callbacks_lists_the_open_requests_oldest_first(run: Run, database_url: str) -> None:
    """callbacks lists open requests oldest first in columns: waiting time, number, language,
    what the caller heard and the reasons."""
    assert run("db", "upgrade").exit_code == 0
    assert run("callbacks").output == "No open callback requests.\n"
    with store_at(database_url, dt.timedelta(hours=2, minutes=5)) as store:
        store.book_callback("CA01", CALLER, "info.second_opinion", ["nurse line closed", "busy"])
    with store_at(database_url, dt.timedelta(days=1, hours=3)) as store:
        store.book_callback("CA02", OTHER, "help", [], language="cy-GB")
    listed = run("callbacks")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split() == ["ID", "WAITING", "NUMBER", "LANGUAGE", "LISTENING", "TO", "REASONS"]
    assert lines[1].split() == ["2", "1d", "03h", OTHER, "cy-GB", "help", "-"]
    assert lines[2].split()[:6] == ["1", "2h", "05m", CALLER, "-", "info.second_opinion"]
    assert lines[2].endswith("nurse line closed; busy")
    assert "2 open, oldest first" in listed.output


def test_callbacks_marks_practice_requests_not_to_be_rung(run: Run, database_url: str) -> None:
    """Beside the number of a request from the practice phones; a real one is as ever."""
    assert run("db", "upgrade").exit_code == 0
    with store_at(database_url) as store:
        store.book_callback("CA01", CALLER, "info", [])
        store.book_callback("CA02", OTHER, "help", [], practice=True)
    lines = run("callbacks").output.splitlines()
    assert lines[1].split()[:5] == ["1", "0m", CALLER, "-", "info"]
    assert "practice" not in lines[1]
    assert lines[2].split()[:3] == ["2", "0m", OTHER]
    assert f"{OTHER} (practice: do not ring)" in lines[2]


def test_callbacks_done_marks_one_and_deletes_its_number(run: Run, database_url: str) -> None:
    """callbacks --done marks a request done and deletes its number; again, it is an error."""
    assert run("db", "upgrade").exit_code == 0
    booking = book(database_url, CALLER)
    done = run("callbacks", "--done", str(booking))
    assert done.exit_code == 0
    assert "its number has been deleted" in done.output
    assert CALLER not in run("callbacks").output
    again = run("callbacks", "--done", str(booking))
    assert again.exit_code == 1
    assert f"There is no open callback request {booking}" in again.output


def test_purge_deletes_old_data_and_says_what(run: Run, database_url: str) -> None:
    """purge deletes calls and done requests older than RETENTION_DAYS, keeps open ones, and
    says how many of each."""
    assert run("db", "upgrade").exit_code == 0
    with store_at(database_url, dt.timedelta(days=100)) as old:
        journal_a_call(old, "CA-OLD")
        assert old.flush(10)
        old.book_callback("CA-OLD", CALLER, "info", [])
        # Another call: a call books one call back (Store.book_callback).
        assert old.mark_done(old.book_callback("CA-OLD-2", OTHER, "info", []).id)
    purged = run("purge", RETENTION_DAYS="90")
    assert purged.exit_code == 0, purged.output
    assert "older than 90 days" in purged.output
    assert "1 calls, 4 call steps, 1 transfers, 1 done callback requests." in purged.output
    assert "1 open callback request(s) are older than that and were kept" in purged.output
    kept = run("purge", RETENTION_DAYS="365")
    assert "0 calls, 0 call steps, 0 transfers, 0 done callback requests." in kept.output


def test_staff_token_prints_a_token_that_works(run: Run, database_url: str) -> None:
    """staff token prints a token the store accepts, and says on stderr it is shown once."""
    assert run("db", "upgrade").exit_code == 0
    assert run("staff", "add", "alice", "--password", PASSWORD).exit_code == 0
    made = run("staff", "token", "alice")
    assert made.exit_code == 0
    token = made.stdout.strip()
    assert "shown once" in made.stderr
    with store_at(database_url) as store:
        assert store.check_token(token)


def test_staff_token_refuses_a_name_without_an_account(run: Run) -> None:
    """No token for a name nobody has: it could not be revoked by removing the account."""
    assert run("db", "upgrade").exit_code == 0
    refused = run("staff", "token", "nobody")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == (
        "There is no staff account called 'nobody': make it with `ivr staff add`.\n"
    )


@pytest.mark.parametrize("args", [(), ("alice", "--revoke", "ivr_x")], ids=["neither", "both"])
def test_staff_token_takes_a_name_or_revoke(run: Run, args: tuple[str, ...]) -> None:
    """A usage error (2) that says what to give."""
    refused = run("staff", "token", *args)
    assert refused.exit_code == 2
    assert "Give a NAME to make a token for, or --revoke TOKEN, not both." in refused.output


def test_staff_token_revoke_stops_a_token_working(run: Run, database_url: str) -> None:
    """A revoked token no longer gets in; revoking it again says there is no such token."""
    assert run("db", "upgrade").exit_code == 0
    assert run("staff", "add", "alice", "--password", PASSWORD).exit_code == 0
    token = run("staff", "token", "alice").stdout.strip()
    kept = run("staff", "token", "alice").stdout.strip()
    revoked = run("staff", "token", "--revoke", token)
    assert (revoked.exit_code, revoked.output) == (0, "The token is revoked: it no longer works.\n")
    with store_at(database_url) as store:
        assert (store.check_token(token), store.check_token(kept)) == (False, True)
    again = run("staff", "token", "--revoke", token)
    assert (again.exit_code, again.stderr) == (1, "There is no such token: nothing was revoked.\n")


def signed_in(database_url: str, name: str, password: str = PASSWORD) -> StaffSession:
    with store_at(database_url) as store:
        session = store.sign_in(name, password, client="192.0.2.1")
    assert isinstance(session, StaffSession)
    return session


def test_staff_remove_ends_the_account_its_sessions_and_tokens(run: Run, database_url: str) -> None:
    """The account can no longer sign in, its session ends and its token stops working; another
    account's token works on."""
    assert run("db", "upgrade").exit_code == 0
    for name in ("alice", "kim"):
        assert run("staff", "add", name, "--password", PASSWORD).exit_code == 0
    token, other = (run("staff", "token", name).stdout.strip() for name in ("alice", "kim"))
    session = signed_in(database_url, "alice")
    removed = run("staff", "remove", "alice")
    assert (removed.exit_code, removed.output) == (
        0,
        "Staff account alice removed: its sessions have ended, and its 1 API token(s) no "
        "longer work.\n",
    )
    with store_at(database_url) as store:
        assert (store.check_token(token), store.check_token(other)) == (False, True)
        assert not store.still_signed_in(session)
        assert store.sign_in("alice", PASSWORD, client="192.0.2.1") is SignInRefused.WRONG
    again = run("staff", "remove", "alice")
    assert (again.exit_code, again.stderr) == (1, "there is no staff account called 'alice'\n")


def test_staff_password_is_asked_twice_and_ends_every_session(run: Run, database_url: str) -> None:
    """The old password no longer signs in, and sessions made with it end; the new one works."""
    assert run("db", "upgrade").exit_code == 0
    assert run("staff", "add", "alice", "--password", PASSWORD).exit_code == 0
    session = signed_in(database_url, "alice")
    changed = run("staff", "password", "alice", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert changed.exit_code == 0, changed.output
    assert "The password for alice is changed, and their sessions have ended." in changed.output
    with store_at(database_url) as store:
        assert not store.still_signed_in(session)
        assert store.sign_in("alice", PASSWORD, client="192.0.2.1") is SignInRefused.WRONG
    assert signed_in(database_url, "alice", NEW_PASSWORD).stamp != session.stamp


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("alice", "--password", "short"), "a password needs at least 12 characters"),
        (("nobody", "--password", NEW_PASSWORD), "there is no staff account called 'nobody'"),
    ],
)
def test_staff_password_refuses_a_short_one_or_an_unknown_name(
    run: Run, args: tuple[str, ...], said: str
) -> None:
    """Exit 1, saying why."""
    assert run("db", "upgrade").exit_code == 0
    assert run("staff", "add", "alice", "--password", PASSWORD).exit_code == 0
    refused = run("staff", "password", *args)
    assert (refused.exit_code, refused.stderr) == (1, said + "\n")


def test_purge_deletes_sign_in_attempts_older_than_a_day(run: Run, database_url: str) -> None:
    """They count for 15 minutes; after a day they go, and the recent ones stay."""
    assert run("db", "upgrade").exit_code == 0
    for ago in (dt.timedelta(days=2), dt.timedelta(hours=25), dt.timedelta(hours=1)):
        with store_at(database_url, ago) as store:
            store.sign_in("alice", "a guess", client="192.0.2.1")
    purged = run("purge")
    assert purged.exit_code == 0, purged.output
    assert "Deleted 2 sign-in attempt(s) older than a day." in purged.output
    with store_at(database_url) as store:
        assert count(store, "sign_in_attempts") == 1


def test_accounts_and_tokens_from_before_0005_keep_working(database_url: str) -> None:
    """After the upgrade each account has a stamp of its own and can sign in; its old token
    works and is tied to it (removing the account revokes it); a token for a name without an
    account works on. Downgrading takes the new columns away."""
    store = Store(database_url, SECRET)
    try:
        migrate(store, "0004")
        users = sa.table(
            "staff_users",
            *(sa.column(name) for name in ("name", "password_hash")),
            sa.column("created_at", UTCDateTime),
        )
        tokens = sa.table(
            "api_tokens",
            *(sa.column(name) for name in ("name", "token_hash")),
            sa.column("created_at", UTCDateTime),
        )
        made = {"alice": "ivr_alice-made-before-0005", "robot": "ivr_robot-made-before-0005"}
        with store.engine.begin() as connection:
            for name in ("alice", "kim"):
                hashed = argon2.PasswordHasher().hash(PASSWORD)
                connection.execute(
                    sa.insert(users).values(
                        name=name, password_hash=hashed, created_at=store.clock()
                    )
                )
            for name, token in made.items():
                token_hash = sha256(token.encode()).hexdigest()
                connection.execute(
                    sa.insert(tokens).values(
                        name=name, token_hash=token_hash, created_at=store.clock()
                    )
                )
        store.upgrade()
        stamps = {row["name"]: row["session_stamp"] for row in rows(store, "staff_users")}
        assert len(set(stamps.values())) == 2 and all(len(s) == 32 for s in stamps.values())
        assert signed_in(database_url, "alice").stamp == stamps["alice"]
        ids = {row["name"]: row["id"] for row in rows(store, "staff_users")}
        tied = {row["name"]: row["staff_id"] for row in rows(store, "api_tokens")}
        assert tied == {"alice": ids["alice"], "robot": None}
        assert [store.check_token(token) for token in made.values()] == [True, True]
        assert store.remove_staff("alice") == 1
        assert [store.check_token(token) for token in made.values()] == [False, True]
        migrate(store, "0004", down=True)
        columns = {
            table: {c["name"] for c in sa.inspect(store.engine).get_columns(table)}
            for table in ("staff_users", "sign_in_attempts", "api_tokens")
        }
        assert columns == {
            "staff_users": {"id", "name", "password_hash", "created_at"},
            "sign_in_attempts": {"id", "name", "at", "succeeded"},
            "api_tokens": {"id", "name", "token_hash", "created_at"},
        }
    finally:
        store.close()


def test_a_database_that_is_down_is_a_clear_error() -> None:
    """A database that does not answer is a quick, plain error, not a hang or a traceback."""
    began = time.monotonic()
    failed = runner(CLOSED_PORT_URL)("callbacks")
    assert time.monotonic() - began < 5
    assert failed.exit_code == 1
    assert "The database did not answer" in failed.output


def test_a_bad_database_url_is_a_clear_error() -> None:
    """A DATABASE_URL for another database is an error that says what it must be."""
    failed = runner("mysql://somewhere/db")("db", "upgrade")
    assert failed.exit_code == 1
    assert "DATABASE_URL must be postgresql://" in failed.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_db_revision_writes_the_next_migration(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For developers: a new, numbered migration after the newest (into a copy here)."""
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr("ivr.store.upgrade.MIGRATIONS", copy)
    assert run("db", "upgrade").exit_code == 0
    newest = head_revision()
    following = f"{int(newest) + 1:04d}"
    written = run("db", "revision", "add a column", "--empty")
    assert written.exit_code == 0, written.output
    [new] = copy.glob(f"versions/{following}_*.py")
    source = new.read_text()
    assert f"revision: str = '{following}'" in source, source
    assert f"down_revision: Union[str, Sequence[str], None] = '{newest}'" in source, source


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(0, "0m"), (59, "59m"), (60, "1h 00m"), (125, "2h 05m"), (24 * 60 + 61, "1d 01h")],
)
def test_age_is_short_and_rough(minutes: int, shown: str) -> None:
    """How long a request has waited, in at most its two largest units, seconds dropped."""
    assert store_cli.age(dt.timedelta(minutes=minutes, seconds=30)) == shown
