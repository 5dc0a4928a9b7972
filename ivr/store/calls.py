"""The call log: each call's journal (queued, best-effort: it never raises and never waits),
what staff see of it, and what is kept how long (`ivr purge`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from ivr.numbers import E164, is_practice_caller
from ivr.store import stats
from ivr.store.connection import Database
from ivr.store.journal import (
    Ended,
    Journal,
    JournalEntry,
    LanguageChosen,
    Started,
    StepTaken,
    TransferEnded,
)
from ivr.store.tables import Call, Callback, CallEvent, CallTransfer

log = logging.getLogger("ivr.store")


@dataclass(frozen=True)
class PurgeResult:
    """What `purge` deleted, and the open requests it kept although they are older."""

    calls: int
    call_events: int
    transfers: int
    callbacks: int
    open_callbacks_kept: int


class CallLog(Database):
    """The Store's journal of calls, the figures staff see from it, and its retention."""

    journal: Journal  # made by the Store, with the engine

    def call_started(self, call_sid: str, caller: str | None, language: str | None = None) -> None:
        """A call came in, in a language; the caller's number is kept only as its hash (None
        if withheld).

        A call from the practice phones is marked as practice, so staff figures leave it out.
        """
        practice = is_practice_caller(caller)
        hashed = self._caller_hash(caller)
        self._put(lambda at: Started(call_sid, at, hashed, practice, language))

    def call_language(self, call_sid: str, language: str) -> None:
        """The caller changed the call's language: the dashboard counts the call in it."""
        self._put(lambda at: LanguageChosen(call_sid, at, language))

    def _caller_hash(self, caller: str | None) -> str | None:
        # Withheld numbers come as "anonymous" or the like: there is no one to hash.
        if caller is None or E164.match(caller.strip()) is None:
            return None
        return self.hash_number(caller)

    def call_step(self, call_sid: str, from_node: str, heard: str, to_node: str, kind: str) -> None:
        """One step: `heard` is a key ("1"), "silence", "speech:3words" or "dial:busy"."""
        self._put(lambda at: StepTaken(call_sid, at, from_node, heard, to_node, kind))

    def transfer_ended(self, call_sid: str, target: str, outcome: str) -> None:
        """A transfer to a person ended: completed, busy, no-answer, failed, canceled..."""
        self._put(lambda at: TransferEnded(call_sid, at, target, outcome))

    def call_ended(self, call_sid: str, status: str, duration_seconds: int | None) -> None:
        """Twilio's status callback: how the call ended and how long it lasted."""
        self._put(lambda at: Ended(call_sid, at, status, duration_seconds))

    def _put(self, make: Callable[[dt.datetime], JournalEntry]) -> None:
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

    def recent_calls(self) -> list[stats.RecentCall]:
        """The latest calls (ivr.store.stats); StoreUnavailable if the database cannot say."""
        with self._database("listing recent calls"):
            return stats.recent_calls(self.engine)

    def figures(self, now: dt.datetime) -> stats.Figures:
        """The dashboard's figures (ivr.store.stats); StoreUnavailable if the database cannot
        say."""
        with self._database("counting calls"):
            return stats.figures(self.engine, now=now)

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
            transfers = connection.execute(
                delete(CallTransfer).where(CallTransfer.call_sid.in_(old_calls))
            )
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
