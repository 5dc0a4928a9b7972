"""The Store: the helpline's database, one object a process, made of one part per job.

Its parts: the call log and its retention (ivr.store.calls), callback requests
(ivr.store.callbacks), voicemails (ivr.store.voicemails), staff accounts, sessions and tokens
(ivr.store.accounts), the nurse rota, nurse legs and queue (ivr.store.team), texts callers
asked for (ivr.store.texts), whether calls helped (ivr.store.feedback), and the schema's
migrations (ivr.store.upgrade), on a shared connection (ivr.store.connection).
"""

from __future__ import annotations

import datetime as dt
import os
import weakref
from collections.abc import Callable

from sqlalchemy import select

from ivr.store.accounts import StaffAccounts
from ivr.store.callbacks import CallbackQueue
from ivr.store.calls import CallLog
from ivr.store.connection import StoreUnavailable, utc_now
from ivr.store.feedback import FeedbackLog
from ivr.store.journal import Journal
from ivr.store.team import NurseTeam
from ivr.store.texts import TextLog
from ivr.store.upgrade import Migrations
from ivr.store.voicemails import VoicemailBox


class Store(
    CallLog,
    CallbackQueue,
    VoicemailBox,
    StaffAccounts,
    NurseTeam,
    TextLog,
    FeedbackLog,
    Migrations,
):
    """The helpline's database. Safe to share between threads; one per process."""

    def __init__(
        self,
        database_url: str,
        secret_key: str,
        *,
        write_timeout: float = 2.0,
        queue_size: int = 10_000,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        super().__init__(database_url, secret_key, write_timeout=write_timeout, clock=clock)
        self.journal = Journal(self.engine, queue_size=queue_size)
        # A forked worker (gunicorn --preload) must not share connections or the writer thread.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _after_fork(ref))

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

    def _after_fork(self) -> None:
        self.engine.dispose(close=False)
        self.journal._reset()


def _after_fork(ref: weakref.ref[Store]) -> None:
    store = ref()
    if store is not None:
        store._after_fork()
