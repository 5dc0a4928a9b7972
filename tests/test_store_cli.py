"""The database's commands, as staff and a release step run them, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from ivr import store_cli
from ivr.store import Store, head_revision
from ivr.store.database import MIGRATIONS
from tests import test_store as shared
from tests.test_store import CALLER, CLOSED_PORT_URL, OTHER, SECRET, journal_a_call

# The store's fixtures, on SQLite and PostgreSQL, shared by name.
postgres_database = shared.postgres_database
database_url = shared.database_url

Run = Callable[..., Result]


def runner(database_url: str) -> Run:
    """Run a command as `ivr ...` would, with DATABASE_URL and SECRET_KEY set."""

    @click.group()
    def ivr() -> None:
        """The `ivr` command, with only the database's commands."""

    store_cli.register(ivr)

    def invoke(*args: str, **env: str) -> Result:
        environment = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET, **env}
        return CliRunner().invoke(ivr, list(args), env=environment)

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
    group = click.Group("ivr")
    store_cli.register(group)
    assert set(group.commands) == {"db", "callbacks", "purge", "staff"}


def test_db_upgrade_makes_the_tables_and_current_says_so(run: Run) -> None:
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
    assert run("db", "upgrade").exit_code == 0
    assert run("callbacks").output == "No open callback requests.\n"
    with store_at(database_url, dt.timedelta(hours=2, minutes=5)) as store:
        store.book_callback("CA01", CALLER, "info.second_opinion", ["nurse line closed", "busy"])
    with store_at(database_url, dt.timedelta(days=1, hours=3)) as store:
        store.book_callback("CA02", OTHER, "help", [])
    listed = run("callbacks")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split() == ["ID", "WAITING", "NUMBER", "LISTENING", "TO", "REASONS"]
    assert lines[1].split() == ["2", "1d", "03h", OTHER, "help", "-"]
    assert lines[2].split()[:5] == ["1", "2h", "05m", CALLER, "info.second_opinion"]
    assert lines[2].endswith("nurse line closed; busy")
    assert "2 open, oldest first" in listed.output


def test_callbacks_marks_practice_requests_not_to_be_rung(run: Run, database_url: str) -> None:
    """Beside the number of a request from the practice phones; a real one is as ever."""
    assert run("db", "upgrade").exit_code == 0
    with store_at(database_url) as store:
        store.book_callback("CA01", CALLER, "info", [])
        store.book_callback("CA02", OTHER, "help", [], practice=True)
    lines = run("callbacks").output.splitlines()
    assert lines[1].split()[:4] == ["1", "0m", CALLER, "info"]
    assert "practice" not in lines[1]
    assert lines[2].split()[:3] == ["2", "0m", OTHER]
    assert f"{OTHER} (practice: do not ring)" in lines[2]


def test_callbacks_done_marks_one_and_deletes_its_number(run: Run, database_url: str) -> None:
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
    assert run("db", "upgrade").exit_code == 0
    with store_at(database_url, dt.timedelta(days=100)) as old:
        journal_a_call(old, "CA-OLD")
        assert old.flush(10)
        old.book_callback("CA-OLD", CALLER, "info", [])
        assert old.mark_done(old.book_callback("CA-OLD", OTHER, "info", []).id)
    purged = run("purge", RETENTION_DAYS="90")
    assert purged.exit_code == 0, purged.output
    assert "older than 90 days" in purged.output
    assert "1 calls, 4 call steps, 1 transfers, 1 done callback requests." in purged.output
    assert "1 open callback request(s) are older than that and were kept" in purged.output
    kept = run("purge", RETENTION_DAYS="365")
    assert "0 calls, 0 call steps, 0 transfers, 0 done callback requests." in kept.output


def test_staff_token_prints_a_token_that_works(run: Run, database_url: str) -> None:
    assert run("db", "upgrade").exit_code == 0
    made = run("staff", "token", "alice")
    assert made.exit_code == 0
    token = made.stdout.strip()
    assert "shown once" in made.stderr
    with store_at(database_url) as store:
        assert store.check_token(token)


def test_a_database_that_is_down_is_a_clear_error() -> None:
    began = time.monotonic()
    failed = runner(CLOSED_PORT_URL)("callbacks")
    assert time.monotonic() - began < 5
    assert failed.exit_code == 1
    assert "The database did not answer" in failed.output


def test_a_bad_database_url_is_a_clear_error() -> None:
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
    monkeypatch.setattr("ivr.store.database.MIGRATIONS", copy)
    monkeypatch.setattr("ivr.store_cli.MIGRATIONS", copy)
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
    assert store_cli.age(dt.timedelta(minutes=minutes, seconds=30)) == shown
