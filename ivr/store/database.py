"""The Store: the journal of calls, callback requests, staff tokens, retention, migrations.

Nothing here may hold up a call for long. The engine's every wait is bounded (connecting,
waiting for a pooled connection, each statement); the journal never waits at all; a callback
booking gives up after `write_timeout` seconds even if the database hangs without answering.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import logging
import math
import os
import secrets
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import argon2
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ivr.config import E164
from ivr.numbers import is_practice_caller
from ivr.store import stats
from ivr.store.journal import Ended, Event, Journal, Started, Step, TransferEnded, describe
from ivr.store.tables import (
    LISTENING_TO,
    ApiToken,
    Call,
    Callback,
    CallEvent,
    SignInAttempt,
    StaffUser,
    Transfer,
)
from ivr.store.tables import (
    NAME as NAME_LENGTH,
)

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger("ivr.store")
T = TypeVar("T")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Maintenance (migrations, purge) may take longer than a webhook's statement, but not for ever.
MAINTENANCE_TIMEOUT_MS = 10 * 60 * 1000
# Any fixed number: PostgreSQL's advisory lock that lets one `ivr db upgrade` run at a time.
UPGRADE_LOCK = 4_815_162_342
TOKEN_PREFIX = "ivr_"


# Sign-in: Argon2 (argon2-cffi) for passwords; after 5 wrong tries a name waits 15 minutes.
_passwords = argon2.PasswordHasher()
MIN_PASSWORD = 12
MAX_FAILURES = 5
LOCK_MINUTES = 15
# And after 20 wrong tries from one client, whatever the names, that client waits as long:
# each try costs an Argon2 hash, which a stream of made-up names must not be able to buy.
MAX_CLIENT_FAILURES = 20
CLIENT = 64  # sign_in_attempts.client's length: an IPv6 /64 in full is 43 characters
# Tries are needed for the 15 minutes above; `ivr purge` deletes those older than a day.
SIGN_IN_ATTEMPTS_KEPT = dt.timedelta(days=1)
# A call books one call back, and a number is booked at most this often a day: nobody can use
# the line to have nurses ring a stranger, or one number again and again.
CALLBACKS_PER_NUMBER_A_DAY = 3


class StoreUnavailable(Exception):
    """The database could not confirm the operation (down, slow, or not migrated)."""


@dataclass(frozen=True)
class Booking:
    """A callback request: its id, and False for `created` if one was already open (for the
    number, or booked on the same call), or the number has had its call backs for the day."""

    id: int
    created: bool


@dataclass(frozen=True)
class CallbackRequest:
    """An open callback request, as staff see it."""

    id: int
    number: str
    created_at: dt.datetime
    listening_to: str
    reasons: list[str]
    call_sid: str
    practice: bool  # booked on a call from the practice phones: never to be rung


@dataclass(frozen=True)
class StaffSession:
    """A signed-in member of staff, as their session cookie holds them."""

    name: str
    stamp: str  # the account's session stamp when they signed in: a new one ends the session


class SignInRefused(enum.Enum):
    """Why a sign-in was refused."""

    WRONG = "wrong"  # an unknown name or a wrong password, alike
    LOCKED = "locked"  # too many wrong passwords for the name lately
    THROTTLED = "throttled"  # too many wrong tries from the client lately: nothing was hashed


@dataclass(frozen=True)
class PurgeResult:
    """What `purge` deleted, and the open requests it kept although they are older."""

    calls: int
    call_events: int
    transfers: int
    callbacks: int
    open_callbacks_kept: int


def sqlalchemy_url(database_url: str) -> str:
    """The URL SQLAlchemy wants: postgres:// and postgresql:// name the psycopg driver."""
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url.removeprefix(prefix)
    return database_url


def _utcnow() -> dt.datetime:
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


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's settings, built here: no alembic.ini is needed, from any folder or install."""
    # Imported when needed: webhooks never migrate, and alembic is slow to import.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration's revision."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


class Store:
    """The helpline's database. Safe to share between threads; one per process."""

    def __init__(
        self,
        database_url: str,
        secret_key: str,
        *,
        write_timeout: float = 2.0,
        queue_size: int = 10_000,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        if not secret_key:
            raise ValueError("the store needs a secret key to hash callers' numbers")
        self.write_timeout = write_timeout
        self.clock = clock
        self.engine = make_engine(database_url, write_timeout)
        # A key of its own, derived from SECRET_KEY: a number's hash is not signed with the
        # same key as Flask's session cookies.
        self._number_key = hmac.digest(secret_key.encode(), b"ivr caller number", "sha256")
        self.journal = Journal(self.engine, queue_size=queue_size)
        # A forked worker (gunicorn --preload) must not share connections or the writer thread.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _after_fork(ref))

    @property
    def dialect(self) -> str:
        """sqlite or postgresql."""
        return self.engine.dialect.name

    def hash_number(self, number: str) -> str:
        """The keyed hash (HMAC-SHA256) of a number in E.164 form, in hex."""
        return hmac.new(self._number_key, number.strip().encode(), hashlib.sha256).hexdigest()

    # --- the journal: best-effort, never raises, never waits --------------------------------

    def call_started(self, call_sid: str, caller: str | None) -> None:
        """A call came in; the caller's number is kept only as its hash (None if withheld).

        A call from the practice phones is marked as practice, so staff figures leave it out.
        """
        practice = is_practice_caller(caller)
        self._put(lambda at: Started(call_sid, at, self._caller_hash(caller), practice))

    def _caller_hash(self, caller: str | None) -> str | None:
        # Withheld numbers come as "anonymous" or the like: there is no one to hash.
        if caller is None or E164.match(caller.strip()) is None:
            return None
        return self.hash_number(caller)

    def call_step(self, call_sid: str, from_node: str, heard: str, to_node: str, kind: str) -> None:
        """One step: `heard` is a key ("1"), "silence", "speech:3words" or "dial:busy"."""
        self._put(lambda at: Step(call_sid, at, from_node, heard, to_node, kind))

    def transfer_ended(self, call_sid: str, target: str, outcome: str) -> None:
        """A transfer to a person ended: completed, busy, no-answer, failed, canceled..."""
        self._put(lambda at: TransferEnded(call_sid, at, target, outcome))

    def call_ended(self, call_sid: str, status: str, duration_seconds: int | None) -> None:
        """Twilio's status callback: how the call ended and how long it lasted."""
        self._put(lambda at: Ended(call_sid, at, status, duration_seconds))

    def _put(self, make: Callable[[dt.datetime], Event]) -> None:
        try:
            self.journal.put(make(self.clock()))
        except Exception as error:  # a journal entry is never worth failing a call for
            log.warning("journal event not queued (%s)", type(error).__name__)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event is written or counted failed; False on timeout."""
        return self.journal.flush(timeout)

    def journal_stats(self) -> dict[str, int]:
        """Events written, dropped (queue full), failed (database error), and still queued."""
        return self.journal.stats()

    def answering(self) -> bool:
        """Whether the database answers a query now, within the store's write timeout."""

        def ask(_deadline: float) -> bool:
            with self._database("checking the database"), self.engine.connect() as connection:
                return connection.scalar(select(1)) == 1

        try:
            return self._bounded("checking the database", ask)
        except StoreUnavailable:
            return False

    def close(self, timeout: float = 5.0) -> bool:
        """Write what is queued (up to `timeout` s), stop the writer, close connections."""
        flushed = self.journal.stop(timeout)
        self.engine.dispose()
        return flushed

    # --- callback requests: synchronous, bounded ---------------------------------------------

    def book_callback(
        self,
        call_sid: str,
        number: str,
        listening_to: str,
        reasons: list[str],
        *,
        practice: bool = False,
    ) -> Booking:
        """Store a request to call `number` back, unless one of the same kind is open for it.

        `practice` marks a request booked on a call from the practice phones: staff see it apart,
        and it is never taken for a real request for the same number, nor a real one for it.

        Raises StoreUnavailable, within `write_timeout` seconds, when the write cannot be
        confirmed: the caller must then be told their request was not taken. (If the database
        answers only after that, the request may still be stored: a call they were told not to
        expect, never a promise that is not kept.)
        """
        number = number.strip()
        if not E164.match(number):
            raise ValueError(
                "the number to call back must be in E.164 form: + and the country code"
            )
        row = {
            "call_sid": call_sid,
            "number": number,
            "number_hash": self.hash_number(number),
            "created_at": self.clock(),
            "listening_to": listening_to[:LISTENING_TO],
            "reasons": [str(reason) for reason in reasons],
            "practice": practice,
        }
        return self._bounded("booking a callback", lambda deadline: self._book(row, deadline))

    def _book(self, row: dict[str, Any], deadline: float) -> Booking:
        kind = Callback.practice.is_(row["practice"])
        find = select(Callback.id).where(Callback.number == row["number"], kind)
        # One open request a call, whatever number it asks for.
        this_call = select(Callback.id).where(
            Callback.call_sid == row["call_sid"], Callback.done_at.is_(None), kind
        )
        # Requests for the number in the last day, done ones too (they keep the number's hash).
        today = select(func.count(), func.max(Callback.id)).where(
            Callback.number_hash == row["number_hash"],
            Callback.created_at >= row["created_at"] - dt.timedelta(days=1),
            kind,
        )
        with self._database("booking a callback"), self.engine.connect() as connection:
            found = connection.scalar(find)
            if found is not None:
                return Booking(found, created=False)
            found = connection.scalar(this_call)
            if found is not None:
                return Booking(found, created=False)
            count, latest = connection.execute(today).one()
            if count >= CALLBACKS_PER_NUMBER_A_DAY:
                return Booking(latest, created=False)
            try:
                result = connection.execute(insert(Callback).values(row))
                if time.monotonic() > deadline:  # the caller has been told it failed
                    raise StoreUnavailable("booking a callback: too late, not committed")
                connection.commit()
            except IntegrityError:
                # Another worker booked the same number (and kind) just now: theirs is the open one.
                connection.rollback()
                found = connection.scalar(find)
                if found is None:
                    raise
                return Booking(found, created=False)
            key = result.inserted_primary_key
            assert key is not None
            return Booking(int(key[0]), created=True)

    def open_callbacks(self) -> list[CallbackRequest]:
        """Open requests, oldest first."""
        query = (
            select(Callback)
            .where(Callback.done_at.is_(None))
            .order_by(Callback.created_at, Callback.id)
        )
        with self._database("listing callbacks"), self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            CallbackRequest(
                id=row.id,
                number=row.number or "",
                created_at=row.created_at,
                listening_to=row.listening_to,
                reasons=list(row.reasons or []),
                call_sid=row.call_sid,
                practice=row.practice,
            )
            for row in rows
        ]

    def mark_done(self, callback_id: int) -> bool:
        """Mark a request done and forget its number (its hash stays); False if not open."""
        change = (
            update(Callback)
            .where(Callback.id == callback_id, Callback.done_at.is_(None))
            .values(done_at=self.clock(), number=None)
        )
        with self._database("marking a callback done"), self.engine.begin() as connection:
            return connection.execute(change).rowcount == 1

    # --- retention -----------------------------------------------------------------------

    def purge(self, now: dt.datetime, retention_days: int) -> PurgeResult:
        """Delete what is older than the retention period.

        Calls that started before the cut-off go, with their steps and transfers; done callback
        requests go once they have been done that long. Open requests stay, whatever their age
        (someone is waiting for that call), and are counted. A done request never holds a
        number: `mark_done` removes it, and the database refuses one that keeps it.
        """
        cutoff = now - dt.timedelta(days=retention_days)
        old_calls = select(Call.call_sid).where(Call.started_at < cutoff)
        with self._database("purging"), self.engine.begin() as connection:
            self._maintenance(connection)
            events = connection.execute(delete(CallEvent).where(CallEvent.call_sid.in_(old_calls)))
            transfers = connection.execute(delete(Transfer).where(Transfer.call_sid.in_(old_calls)))
            calls = connection.execute(delete(Call).where(Call.started_at < cutoff))
            callbacks = connection.execute(delete(Callback).where(Callback.done_at < cutoff))
            kept = connection.scalar(
                select(func.count())
                .select_from(Callback)
                .where(Callback.done_at.is_(None), Callback.created_at < cutoff)
            )
        return PurgeResult(
            calls=calls.rowcount,
            call_events=events.rowcount,
            transfers=transfers.rowcount,
            callbacks=callbacks.rowcount,
            open_callbacks_kept=kept or 0,
        )

    # --- staff who sign in ------------------------------------------------------------------

    def add_staff(self, name: str, password: str) -> None:
        """A new staff account; ValueError if the name is taken or the password too short."""
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
        row = {
            "name": name.strip(),
            "password_hash": _passwords.hash(password),
            "created_at": self.clock(),
            "session_stamp": _new_stamp(),
        }
        with self._database("adding staff"), self.engine.begin() as connection:
            try:
                connection.execute(insert(StaffUser).values(row))
            except IntegrityError:  # staff names are unique: the only constraint it can break
                raise ValueError(f"there is already a staff account called {name!r}") from None

    def sign_in(self, name: str, password: str, *, client: str) -> StaffSession | SignInRefused:
        """The session for a right name and password, or why not.

        `client` says who is trying (an address). After too many wrong tries lately from the
        client, or for the name, the try is refused before any hashing and not recorded; every
        other try is recorded.
        """
        name = name.strip()[:NAME_LENGTH]
        client = client[:CLIENT]
        now = self.clock()
        wrong_lately = (
            select(func.count())
            .select_from(SignInAttempt)
            .where(
                SignInAttempt.at >= now - dt.timedelta(minutes=LOCK_MINUTES),
                SignInAttempt.succeeded.is_(False),
            )
        )
        by_client = wrong_lately.where(SignInAttempt.client == client)
        by_name = wrong_lately.where(SignInAttempt.name == name)
        with self._database("signing in"), self.engine.begin() as connection:
            # The client first: it stops a stream of made-up names, each locked by none.
            if (connection.scalar(by_client) or 0) >= MAX_CLIENT_FAILURES:
                return SignInRefused.THROTTLED
            if (connection.scalar(by_name) or 0) >= MAX_FAILURES:
                return SignInRefused.LOCKED
            account = connection.execute(
                select(StaffUser.password_hash, StaffUser.session_stamp).where(
                    StaffUser.name == name
                )
            ).first()
            try:
                good = account is not None and _passwords.verify(account.password_hash, password)
            except argon2.exceptions.VerificationError:
                good = False
            if account is None:
                _passwords.hash(password)  # take as long as a real check: names are not revealed
            connection.execute(
                insert(SignInAttempt).values(name=name, at=now, succeeded=good, client=client)
            )
        if account is None or not good:
            return SignInRefused.WRONG
        return StaffSession(name, account.session_stamp)

    def still_signed_in(self, session: StaffSession) -> bool:
        """Whether a session is still good: not once its account has signed out, had its
        password changed, or been removed. Raises StoreUnavailable if it cannot be checked."""
        query = select(StaffUser.id).where(
            StaffUser.name == session.name, StaffUser.session_stamp == session.stamp
        )
        with self._database("checking a session"), self.engine.connect() as connection:
            return connection.scalar(query) is not None

    def end_sessions(self, name: str) -> bool:
        """End every session of the account NAME (signing out); False if there is no such one."""
        change = (
            update(StaffUser)
            .where(StaffUser.name == name.strip())
            .values(session_stamp=_new_stamp())
        )
        with self._database("ending sessions"), self.engine.begin() as connection:
            return connection.execute(change).rowcount == 1

    def set_password(self, name: str, password: str) -> None:
        """A new password for NAME, which ends every session of theirs; ValueError if there is
        no such account or the password is too short."""
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
        change = (
            update(StaffUser)
            .where(StaffUser.name == name.strip())
            .values(password_hash=_passwords.hash(password), session_stamp=_new_stamp())
        )
        with self._database("changing a password"), self.engine.begin() as connection:
            if connection.execute(change).rowcount != 1:
                raise ValueError(_no_account(name))

    def remove_staff(self, name: str) -> int:
        """Remove the account NAME, which ends its sessions and deletes its API tokens; how
        many tokens went. ValueError if there is no such account."""
        name = name.strip()
        with self._database("removing staff"), self.engine.begin() as connection:
            staff_id = connection.scalar(select(StaffUser.id).where(StaffUser.name == name))
            if staff_id is None:
                raise ValueError(_no_account(name))
            # By name too: a token made for the name while it had no account is not tied to it.
            tokens = connection.execute(
                delete(ApiToken).where((ApiToken.staff_id == staff_id) | (ApiToken.name == name))
            )
            connection.execute(delete(StaffUser).where(StaffUser.id == staff_id))
        return tokens.rowcount

    def purge_sign_in_attempts(self, now: dt.datetime) -> int:
        """Delete sign-in tries older than a day (they count for 15 minutes); how many went."""
        old = delete(SignInAttempt).where(SignInAttempt.at < now - SIGN_IN_ATTEMPTS_KEPT)
        with self._database("purging sign-in attempts"), self.engine.begin() as connection:
            self._maintenance(connection)
            return connection.execute(old).rowcount

    # --- what staff see --------------------------------------------------------------------

    def recent_calls(self) -> list[stats.RecentCall]:
        """The latest calls (ivr.store.stats); StoreUnavailable if the database cannot say."""
        with self._database("listing recent calls"):
            return stats.recent_calls(self.engine)

    def figures(self, now: dt.datetime) -> stats.Figures:
        """The dashboard's figures (ivr.store.stats); StoreUnavailable if the database cannot
        say."""
        with self._database("counting calls"):
            return stats.figures(self.engine, now=now)

    # --- staff API tokens ------------------------------------------------------------------

    def create_token(self, name: str, *, require_account: bool = False) -> str:
        """A new staff API token, returned once: only its SHA-256 is kept.

        It is tied to the account NAME, and goes when the account is removed. For a name
        without an account, ValueError if `require_account` (as `ivr staff token` asks);
        otherwise the token stands alone until revoked.
        """
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = {"name": name, "token_hash": _token_hash(token), "created_at": self.clock()}
        with self._database("creating a token"), self.engine.begin() as connection:
            staff_id = connection.scalar(select(StaffUser.id).where(StaffUser.name == name))
            if staff_id is None and require_account:
                raise ValueError(_no_account(name))
            connection.execute(insert(ApiToken).values({**row, "staff_id": staff_id}))
        return token

    def revoke_token(self, token: str) -> bool:
        """Delete a token, so that it works no more; False if it is not one we have."""
        gone = delete(ApiToken).where(ApiToken.token_hash == _token_hash(token.strip()))
        with self._database("revoking a token"), self.engine.begin() as connection:
            return connection.execute(gone).rowcount == 1

    def check_token(self, token: str) -> bool:
        """True if the token is one we made. Raises StoreUnavailable if it cannot be checked."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return False
        wanted = _token_hash(token)
        query = select(ApiToken.token_hash).where(ApiToken.token_hash == wanted)
        with self._database("checking a token"), self.engine.connect() as connection:
            found = connection.scalar(query)
        return found is not None and hmac.compare_digest(found, wanted)

    # --- migrations ----------------------------------------------------------------------

    def upgrade(self) -> None:
        """Migrate the database to the newest schema (what `ivr db upgrade` does)."""
        from alembic import command

        sqlite = self.dialect == "sqlite"
        with self.engine.connect() as connection:
            if sqlite:  # wait for another upgrade's lock as long as it may take
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {MAINTENANCE_TIMEOUT_MS}")
                connection.commit()
            try:
                with connection.begin():
                    # One upgrade at a time: workers or releases starting together must not race.
                    if sqlite:
                        connection.exec_driver_sql("BEGIN IMMEDIATE")
                    else:
                        self._maintenance(connection)
                        connection.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK}
                        )
                    command.upgrade(alembic_config(connection), "head")
            finally:
                if sqlite:  # the connection goes back to the pool for webhooks
                    timeout_ms = round(self.write_timeout * 1000)
                    connection.exec_driver_sql(f"PRAGMA busy_timeout = {timeout_ms}")

    def current_revision(self) -> str | None:
        """The database's schema revision; None before the first `ivr db upgrade`."""
        from alembic.runtime.migration import MigrationContext

        with self._database("reading the schema revision"), self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    # --- helpers -------------------------------------------------------------------------

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

    def _after_fork(self) -> None:
        self.engine.dispose(close=False)
        self.journal._reset()


def _after_fork(ref: weakref.ref[Store]) -> None:
    store = ref()
    if store is not None:
        store._after_fork()


def _new_stamp() -> str:
    """A new session stamp for an account: 128 random bits (StaffUser.session_stamp)."""
    return secrets.token_hex(16)


def _no_account(name: str) -> str:
    return f"there is no staff account called {name.strip()!r}"


def _token_hash(token: str) -> str:
    # A plain hash suffices: tokens are 256 random bits, so there is nothing to guess.
    return hashlib.sha256(token.encode()).hexdigest()
