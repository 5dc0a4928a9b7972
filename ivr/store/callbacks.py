"""Callback requests: booked while the caller waits (bounded), listed for staff, marked done.

The caller's number is kept in clear only while a request is open; marking it done deletes it.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ivr.numbers import E164
from ivr.store.connection import Database, StoreUnavailable
from ivr.store.tables import LISTENING_TO, Callback, QueueEntry

# A call books one call back, and a number is booked at most this often a day: nobody can use
# the line to have nurses ring a stranger, or one number again and again.
CALLBACKS_PER_NUMBER_A_DAY = 3


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
    language: str | None = None  # the caller's language (en-GB, cy-GB); None: not known


class CallbackQueue(Database):
    """The Store's callback requests: synchronous, and bounded in time."""

    def book_callback(
        self,
        call_sid: str,
        number: str,
        listening_to: str,
        reasons: list[str],
        *,
        practice: bool = False,
        language: str | None = None,
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
            # So that a nurse who speaks it rings back (None: not known).
            "language": language,
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
                # A caller who left the queue for this call back gives up their place now.
                connection.execute(
                    update(QueueEntry)
                    .where(QueueEntry.call_sid == row["call_sid"], QueueEntry.left_at.is_(None))
                    .values(left_at=row["created_at"], left_how="callback", leaving_for=None)
                )
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
                language=row.language,
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
