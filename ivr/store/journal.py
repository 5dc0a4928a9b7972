"""The call journal: events queued in memory by the webhooks, written by one background thread.

A webhook must answer Twilio within seconds whatever the database does, so it only puts an event
in a bounded queue (a few microseconds) and never waits. The writer takes what has queued up and
writes it in one transaction. Values are cleaned on the way in (no NUL bytes, numbers in range),
and when a batch is refused all the same, its events are written one by one, so that one bad
event loses only itself. When the queue is full the event is dropped; when a write fails its
events are lost: both are counted (staff see the counts) and logged (without any number), and
calls go on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Engine, bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite

from ivr.store.tables import (
    HEARD,
    KIND,
    LANGUAGE,
    NODE,
    SID,
    STATUS,
    Call,
    CallEvent,
    CallTransfer,
    FeedbackAnswer,
    JournalLoss,
)

log = logging.getLogger("ivr.store")

WARN_EVERY = 60.0  # seconds between warnings while the database keeps failing
MAX_INT = 2**31 - 1  # the largest integer the journal's columns hold


class Started(NamedTuple):
    """A call came in."""

    call_sid: str
    at: dt.datetime
    caller_hash: str | None
    practice: bool  # from the practice phones: left out of staff figures
    language: str | None = None  # the language the call started in


class LanguageChosen(NamedTuple):
    """The caller changed the call's language (7)."""

    call_sid: str
    at: dt.datetime
    language: str


class StepTaken(NamedTuple):
    """A step of a call: from a node, what was heard (a key, silence...), to a node."""

    call_sid: str
    at: dt.datetime
    from_node: str
    heard: str
    to_node: str
    kind: str


class TransferEnded(NamedTuple):
    """A call to a person ended, and how (Twilio's DialCallStatus, or declined)."""

    call_sid: str
    at: dt.datetime
    target: str
    outcome: str


class Ended(NamedTuple):
    """The call ended (Twilio's status callback), and how long it lasted."""

    call_sid: str
    at: dt.datetime
    status: str
    duration_seconds: int | None


class FeedbackNoted(NamedTuple):
    """Whether a call helped: asked (helped None) or answered, at the end of a part. Of no
    call: the answer is kept with the part, never with the call or a number."""

    at: dt.datetime
    part: str
    helped: bool | None
    practice: bool


#: One entry of the journal, as the webhooks queue it.
JournalEntry = Started | StepTaken | TransferEnded | Ended | LanguageChosen | FeedbackNoted


def describe(error: BaseException) -> str:
    """An error in one line that is safe to log: its class and the first line of its message.

    The driver's first line names the problem; later lines (PostgreSQL's DETAIL) may quote the
    values of a row, and SQLAlchemy's own message may add the statement's parameters.
    """
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    first = lines[0][:200] if lines else ""
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__


LINGER_SECONDS = 0.05


# How the writer ends a call, and changes its language: by its SID, many rows at once.
_END_CALLS = (
    update(Call)
    .where(Call.call_sid == bindparam("b_sid"))
    .values(
        ended_at=bindparam("b_at"),
        status=bindparam("b_status"),
        duration_seconds=bindparam("b_duration"),
    )
)
_CALL_LANGUAGES = (
    update(Call).where(Call.call_sid == bindparam("b_sid")).values(language=bindparam("b_language"))
)


class Journal:
    """A bounded queue of call events and the thread that writes them."""

    def __init__(self, engine: Engine, *, queue_size: int = 10_000, batch_size: int = 500) -> None:
        self.engine = engine
        self.batch_size = batch_size
        self.queue_size = queue_size
        self.written = 0
        self.failed = 0
        self.dropped = 0
        self._reset()
        upsert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        # A step may come before its call's row exists (its start was dropped, or came before
        # the store did): every event makes sure of its call's row, then the event is added.
        self._insert_calls = upsert(Call).on_conflict_do_nothing(index_elements=["call_sid"])

    def _reset(self) -> None:
        """A fresh queue and no writer; also in a forked child, where the writer does not exist."""
        self._queue: queue.Queue[JournalEntry | None] = queue.Queue(self.queue_size)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._failing_since: float | None = None
        self._failed_in_a_row = 0
        # Losses not yet written to journal_losses (the database may be what lost them).
        self._unreported = {"failed": 0, "dropped": 0}
        self._last_warning = {"dropped": -WARN_EVERY, "failed": -WARN_EVERY}

    def put(self, event: JournalEntry) -> None:
        """Queue an event for writing; drop it (counted) when the queue is full. Never blocks."""
        if self._thread is None:
            self._start()
        try:
            if self._stopping.is_set():  # closed: nobody would write it
                raise queue.Full
            self._queue.put_nowait(event)
        except queue.Full:
            with self._lock:
                self.dropped += 1
                self._unreported["dropped"] += 1
                dropped = self.dropped
            self._warn(
                "dropped",
                "journal event dropped (the queue of %d is full, or the store closed); "
                "%d dropped so far",
                self.queue_size,
                dropped,
            )

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ivr-journal", daemon=True)
                self._thread.start()

    def flush(self, timeout: float) -> bool:
        """Wait until every queued event is written or counted as failed; False on timeout."""
        done = self._queue.all_tasks_done
        deadline = time.monotonic() + timeout
        with done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                done.wait(remaining)
        return True

    def stop(self, timeout: float) -> bool:
        """Write what is queued (for up to `timeout` seconds), then end the writer."""
        flushed = self.flush(timeout)
        self._stopping.set()
        if self._thread is not None:
            with contextlib.suppress(queue.Full):  # full: the writer is busy and will see the flag
                self._queue.put_nowait(None)  # wakes the writer now
            self._thread.join(timeout=1.0)
        return flushed

    def stats(self) -> dict[str, int]:
        """Events written, dropped, failed, and still queued, by this process."""
        return {
            "written": self.written,
            "dropped": self.dropped,
            "failed": self.failed,
            "queued": self._queue.qsize(),
        }

    # --- the writer thread -------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                first = self._queue.get(timeout=1.0)
            except queue.Empty:
                continue
            if first is None:  # stop() wakes us
                self._queue.task_done()
                continue
            batch = [first]
            # Let a moment's events gather: one transaction for many, not one each, so that
            # the writer takes little of the CPU (and of the GIL) the webhooks need.
            if not self._stopping.is_set():
                time.sleep(LINGER_SECONDS)
            while len(batch) < self.batch_size:
                try:
                    event = self._queue.get_nowait()
                except queue.Empty:
                    break
                if event is None:
                    self._queue.task_done()
                    break
                batch.append(event)
            try:
                self._write(batch)
            except Exception as error:  # the writer must outlive any failure
                written, lost = self._write_one_by_one(batch) if len(batch) > 1 else (0, 1)
                self.written += written
                self.failed += lost
                with self._lock:
                    self._unreported["failed"] += lost
                self._failed_in_a_row += 1
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                self._warn(
                    "failed",
                    "journal write failed (%s): %d of %d events lost, %d so far; calls go on",
                    describe(error),
                    lost,
                    len(batch),
                    self.failed,
                )
            else:
                self.written += len(batch)
                self._report_losses()
                if self._failing_since is not None:
                    log.warning(
                        "journal writing again after %d failed writes over %.0f s",
                        self._failed_in_a_row,
                        time.monotonic() - self._failing_since,
                    )
                    self._failing_since, self._failed_in_a_row = None, 0
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _report_losses(self) -> None:
        """Once the database takes writes, keep a record of what was lost before (staff see it);
        if that fails too, the counts wait for the next good write."""
        with self._lock:
            lost = dict(self._unreported)
            self._unreported = {"failed": 0, "dropped": 0}
        if not any(lost.values()):
            return
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(JournalLoss).values(at=_utcnow(), **lost))
        except Exception:  # counted again, and reported with a later write
            with self._lock:
                for kind, n in lost.items():
                    self._unreported[kind] += n

    def _write_one_by_one(self, batch: Sequence[JournalEntry]) -> tuple[int, int]:
        """After a batch is refused: each event on its own, so that a bad one loses only itself
        (and a database that is down loses no more than it did). Written and lost, counted."""
        written = 0
        for event in batch:
            try:
                self._write((event,))
            except Exception:  # counted by the caller; the reason was logged once for the batch
                if self._stopping.is_set():
                    break
                continue
            written += 1
        return written, len(batch) - written

    def _write(self, batch: Sequence[JournalEntry]) -> None:
        calls: dict[str, dict[str, Any]] = {}
        steps: list[dict[str, Any]] = []
        transfers: list[dict[str, Any]] = []
        ends: list[dict[str, Any]] = []
        languages: list[dict[str, Any]] = []
        feedback: list[dict[str, Any]] = []
        for event in map(_cleaned, batch):
            if isinstance(event, FeedbackNoted):
                feedback.append(event._replace(part=event.part[:NODE])._asdict())
                continue
            sid = event.call_sid[:SID]
            row = calls.setdefault(sid, {"call_sid": sid, "started_at": event.at})
            row.setdefault("caller_hash", None)
            row.setdefault("practice", False)
            row.setdefault("language", None)
            match event:
                case Started():
                    row["caller_hash"] = row["caller_hash"] or event.caller_hash
                    row["practice"] = row["practice"] or event.practice
                    row["language"] = row["language"] or event.language
                case LanguageChosen():
                    languages.append({"b_sid": sid, "b_language": event.language[:LANGUAGE]})
                case StepTaken():
                    steps.append(
                        {
                            "call_sid": sid,
                            "at": event.at,
                            "from_node": event.from_node[:NODE],
                            "heard": event.heard[:HEARD],
                            "to_node": event.to_node[:NODE],
                            "kind": event.kind[:KIND],
                        }
                    )
                case TransferEnded():
                    transfers.append(
                        {
                            "call_sid": sid,
                            "at": event.at,
                            "target": event.target[:NODE],
                            "outcome": event.outcome[:STATUS],
                        }
                    )
                case Ended():
                    ends.append(
                        {
                            "b_sid": sid,
                            "b_at": event.at,
                            "b_status": event.status[:STATUS],
                            "b_duration": event.duration_seconds,
                        }
                    )
        with self.engine.begin() as connection:
            if calls:
                connection.execute(self._insert_calls, list(calls.values()))
            if steps:
                connection.execute(insert(CallEvent), steps)
            if transfers:
                connection.execute(insert(CallTransfer), transfers)
            if ends:
                connection.execute(_END_CALLS, ends)
            if languages:
                connection.execute(_CALL_LANGUAGES, languages)
            if feedback:
                connection.execute(insert(FeedbackAnswer), feedback)

    def _warn(self, kind: str, message: str, *args: object) -> None:
        """Warn at once, then at most every WARN_EVERY seconds: an outage must not flood the log."""
        now = time.monotonic()
        with self._lock:
            if now - self._last_warning[kind] < WARN_EVERY:
                return
            self._last_warning[kind] = now
        log.warning(message, *args)


def _text(value: str) -> str:
    """Text a database keeps: PostgreSQL refuses a NUL byte in any string."""
    return value.replace("\x00", "") if "\x00" in value else value


def _cleaned(event: JournalEntry) -> JournalEntry:
    """The event with values every database takes: no NUL bytes, numbers within the column."""
    # The writer holds the GIL the webhooks need: a clean event (all of them, but an attacker's)
    # costs one pass over its values.
    if not any(isinstance(value, str) and "\x00" in value for value in event) and not (
        isinstance(event, Ended) and not 0 <= (event.duration_seconds or 0) <= MAX_INT
    ):
        return event
    changes: dict[str, Any] = {
        name: _text(value)
        for name, value in event._asdict().items()
        if isinstance(value, str) and "\x00" in value
    }
    if isinstance(event, Ended) and not 0 <= (event.duration_seconds or 0) <= MAX_INT:
        changes["duration_seconds"] = None
    return event._replace(**changes) if changes else event


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
