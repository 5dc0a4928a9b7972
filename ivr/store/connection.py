"""The database connection: an engine whose every wait is bounded, and the base the Store's
parts share (the engine, the clock, the number key, errors turned into StoreUnavailable).

Nothing here may hold up a call for long. The engine's every wait is bounded (connecting,
waiting for a pooled connection, each statement); a write the caller waits on gives up after
`write_timeout` seconds even if the database hangs without answering (`Database._bounded`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ivr.store.journal import describe

log = logging.getLogger("ivr.store")
T = TypeVar("T")

# Maintenance (migrations, purge) may take longer than a webhook's statement, but not for ever.
MAINTENANCE_TIMEOUT_MS = 10 * 60 * 1000


class StoreUnavailable(Exception):
    """The database could not confirm the operation (down, slow, or not migrated)."""


def sqlalchemy_url(database_url: str) -> str:
    """The URL SQLAlchemy wants: hosting platforms hand out postgres://user:password@host/db,
    and both postgres:// and postgresql:// become postgresql+psycopg:// (the driver, named)."""
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url.removeprefix(prefix)
    return database_url


def utc_now() -> dt.datetime:
    """The time now, in UTC: the store's clock unless it is given another."""
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the journal write while staff read; foreign keys are off unless asked for."""
    cursor = dbapi_connection.cursor()
    # WAL is kept in the file: switch only once. Workers opening a new file together may find it
    # locked by the one switching it, and the busy timeout does not cover this: try again.
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        for attempt in range(100):
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == 99:
                    raise
                time.sleep(0.1)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _writable_folder(database: Path) -> None:
    """Make the SQLite file's folder if need be; say what to do when it cannot be written."""
    folder = database.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreUnavailable(
            f"the database folder {folder} cannot be made ({error.strerror}): make it, or set "
            "DATABASE_URL to sqlite:///path/to/a/folder/this/user/can/write/helpline.sqlite3"
        ) from None
    # SQLite writes beside the file (its WAL and journal), so the folder must take new files.
    if not os.access(folder, os.W_OK | os.X_OK) or (
        database.exists() and not os.access(database, os.R_OK | os.W_OK)
    ):
        raise StoreUnavailable(
            f"the database {database} cannot be written by this user: give it (and its folder "
            f"{folder}) write permission, or set DATABASE_URL to a file in a folder it can write"
        )


def make_engine(database_url: str, timeout: float) -> Engine:
    """An engine whose every wait is bounded by about `timeout` seconds."""
    url = make_url(sqlalchemy_url(database_url))
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            _writable_folder(Path(url.database))
        engine = create_engine(
            url,
            connect_args={"timeout": timeout},  # how long to wait for another writer's lock
            pool_timeout=timeout,
            hide_parameters=True,  # errors and logs must never show a caller's number
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    ms = max(1, round(timeout * 1000))
    return create_engine(
        url,
        pool_size=5,
        max_overflow=10,
        pool_timeout=timeout,
        pool_pre_ping=True,  # a server restart leaves dead connections in the pool
        pool_recycle=1800,
        hide_parameters=True,
        connect_args={
            # libpq counts whole seconds, and takes 2 as its least.
            "connect_timeout": max(2, math.ceil(timeout)),
            "options": f"-c statement_timeout={ms} -c lock_timeout={ms} "
            "-c idle_in_transaction_session_timeout=60000",
            "application_name": "ivr",
            # A server gone silent (network cut) is noticed instead of waited on for ever.
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
            "tcp_user_timeout": max(10_000, ms),
        },
    )


class Database:
    """What every part of the Store shares: the engine, its clock, the key that hashes
    callers' numbers, and the ways a part talks to the database."""

    def __init__(
        self,
        database_url: str,
        secret_key: str,
        *,
        write_timeout: float,
        clock: Callable[[], dt.datetime],
    ) -> None:
        if not secret_key:
            raise ValueError("the store needs a secret key to hash callers' numbers")
        self.write_timeout = write_timeout
        self.clock = clock
        self.engine = make_engine(database_url, write_timeout)
        # A key of its own, derived from SECRET_KEY: a number's hash is not signed with the
        # same key as Flask's session cookies.
        self._number_key = hmac.digest(secret_key.encode(), b"ivr caller number", "sha256")

    @property
    def dialect(self) -> str:
        """sqlite or postgresql."""
        return self.engine.dialect.name

    def hash_number(self, number: str) -> str:
        """The keyed hash (HMAC-SHA256) of a number in E.164 form, in hex."""
        return hmac.new(self._number_key, number.strip().encode(), hashlib.sha256).hexdigest()

    def _maintenance(self, connection: Connection) -> None:
        """Lift the webhook-sized statement timeout for this transaction (PostgreSQL)."""
        if self.dialect == "postgresql":
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {MAINTENANCE_TIMEOUT_MS}")
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {MAINTENANCE_TIMEOUT_MS}")

    @contextmanager
    def _database(self, what: str) -> Iterator[None]:
        """Turn any database error into StoreUnavailable, with a message safe to log."""
        try:
            yield
        except SQLAlchemyError as error:
            message = describe(error)
            lowered = message.lower()
            if "no such table" in lowered or "does not exist" in lowered:
                message += " (has `ivr db upgrade` been run?)"
            raise StoreUnavailable(f"{what}: {message}") from None

    def _bounded(self, what: str, work: Callable[[float], T]) -> T:
        """Run `work(deadline)` in a thread; StoreUnavailable if it has not ended by then.

        The engine's timeouts bound what the server can delay, but not a server that accepts
        a connection and then says nothing (stopped, or a network that drops packets).
        """
        deadline = time.monotonic() + self.write_timeout
        outcome: list[tuple[bool, Any]] = []
        finished = threading.Event()

        def run() -> None:
            try:
                outcome.append((True, work(deadline)))
            except BaseException as error:  # handed to the waiting thread below
                outcome.append((False, error))
            finally:
                finished.set()

        threading.Thread(target=run, name="ivr-store-write", daemon=True).start()
        if not finished.wait(self.write_timeout):
            log.warning("%s: no answer from the database in %g s", what, self.write_timeout)
            raise StoreUnavailable(f"{what}: no answer in {self.write_timeout:g} s")
        succeeded, value = outcome[0]
        if not succeeded:
            raise value
        result: T = value
        return result
