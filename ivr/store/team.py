"""The nurse line as a team: the rota staff keep, which nurse is on a call (their live legs),
and the queue of callers waiting for one. Synchronous, for the call in hand.

A nurse's number is kept for ringing them and shown to staff only by its last digits; no
caller's number is kept here at all.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from ivr.numbers import E164
from ivr.store.connection import Database
from ivr.store.tables import HOURS, LISTENING_TO, NAME, STATE, NurseLeg, QueueEntry
from ivr.store.tables import Nurse as NurseRow

# A leg whose end never arrived (a lost status callback) stops counting as a call after this.
LEG_LIFETIME = dt.timedelta(hours=4)
# How callers leave the queue, as the journal and the dashboard name it.
LEFT_HOW = ("answered", "callback", "guidance", "hung_up", "unanswered")


@dataclass(frozen=True)
class NurseRecord:
    """A nurse on the rota, as staff manage them."""

    id: int
    name: str
    number: str
    hours: str
    off_until: dt.date | None
    position: int

    @property
    def key(self) -> str:
        """How legs and the queue name this nurse."""
        return f"n:{self.id}"

    def off_on(self, day: dt.date) -> bool:
        """Whether staff turned the nurse off for that day."""
        return self.off_until is not None and day < self.off_until


@dataclass(frozen=True)
class QueuedCall:
    """A caller in the queue: what the whisper and the ring need."""

    call_sid: str
    joined_at: dt.datetime
    listening_to: str
    reasons: list[str]
    state: str
    leaving_for: str | None
    announced: int
    left_how: str | None
    waited_seconds: int  # from joining to now, by the store's clock


@dataclass(frozen=True)
class QueueFigures:
    """Time in the queue and how callers left it, for the dashboard."""

    answered_waits: list[float]  # seconds, for each caller a nurse answered from the queue
    left: dict[str, int]  # how callers left: answered, callback, guidance, hung_up, limit...
    waiting: int  # in the queue now

    def percentile(self, share: float) -> float | None:
        """The wait that `share` of answered callers waited no longer than (None: no waits)."""
        if not self.answered_waits:
            return None
        if len(self.answered_waits) == 1:
            return self.answered_waits[0]
        cuts = statistics.quantiles(self.answered_waits, n=100, method="inclusive")
        return cuts[round(share * 100) - 1]


def _checked(name: str, number: str, hours: str) -> dict[str, str]:
    number = number.strip()
    if not E164.match(number):
        raise ValueError("a nurse's number must be in E.164 form: + and the country code")
    name = name.strip()
    if not name:
        raise ValueError("a nurse needs a name")
    return {"name": name[:NAME], "number": number, "hours": hours.strip()[:HOURS]}


class NurseTeam(Database):
    """The Store's rota, nurse legs and queue."""

    # -------------------------------------------------------------- the rota

    def list_nurses(self) -> list[NurseRecord]:
        """The rota in ring order."""
        query = select(NurseRow).order_by(NurseRow.position, NurseRow.id)
        with self._database("listing nurses"), self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [NurseRecord(r.id, r.name, r.number, r.hours, r.off_until, r.position) for r in rows]

    def add_nurse(self, name: str, number: str, hours: str) -> int:
        """Add a nurse at the end of the ring order; ValueError names a field that is wrong."""
        row: dict[str, Any] = _checked(name, number, hours)
        with self._database("adding a nurse"), self.engine.begin() as connection:
            last = connection.scalar(select(func.max(NurseRow.position)))
            row |= {"position": (last or 0) + 1, "created_at": self.clock()}
            key = connection.execute(insert(NurseRow).values(row)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def update_nurse(
        self, nurse_id: int, name: str, number: str, hours: str, position: int | None = None
    ) -> bool:
        """Change a nurse's details (and place in the ring order); False if there is none."""
        values: dict[str, Any] = _checked(name, number, hours)
        if position is not None:
            values["position"] = position
        change = update(NurseRow).where(NurseRow.id == nurse_id).values(values)
        with self._database("changing a nurse"), self.engine.begin() as connection:
            return connection.execute(change).rowcount == 1

    def remove_nurse(self, nurse_id: int) -> bool:
        """Take a nurse off the rota; False if there is none."""
        with self._database("removing a nurse"), self.engine.begin() as connection:
            return connection.execute(delete(NurseRow).where(NurseRow.id == nurse_id)).rowcount == 1

    def set_off_today(self, nurse_id: int, off: bool, today: dt.date) -> bool:
        """Turn a nurse off until tomorrow, or back on; False if there is none."""
        until = today + dt.timedelta(days=1) if off else None
        change = update(NurseRow).where(NurseRow.id == nurse_id).values(off_until=until)
        with self._database("turning a nurse off"), self.engine.begin() as connection:
            return connection.execute(change).rowcount == 1

    # -------------------------------------------------------------- who is on a call

    def busy_nurses(self) -> frozenset[str]:
        """The keys of nurses being rung or on a helpline call now."""
        since = self.clock() - LEG_LIFETIME
        query = select(NurseLeg.nurse_key).where(
            NurseLeg.ended_at.is_(None), NurseLeg.started_at >= since
        )
        with self._database("finding busy nurses"), self.engine.connect() as connection:
            return frozenset(connection.scalars(query).all())

    def claim_nurses(self, call_sid: str, keys: list[str]) -> list[str]:
        """Mark each nurse as rung for this call, unless another call holds them: the keys
        claimed, in the order given. The database refuses a second live leg for a nurse, so
        two calls racing for one nurse cannot both ring them."""
        now = self.clock()
        claimed = []
        with self._database("claiming nurses"), self.engine.connect() as connection:
            # A leg whose end was lost long ago no longer holds its nurse.
            connection.execute(
                update(NurseLeg)
                .where(NurseLeg.ended_at.is_(None), NurseLeg.started_at < now - LEG_LIFETIME)
                .values(ended_at=now, outcome="lost")
            )
            connection.commit()
            for key in keys:
                leg = {"call_sid": call_sid, "nurse_key": key, "started_at": now}
                try:
                    connection.execute(insert(NurseLeg).values(leg))
                    connection.commit()
                    claimed.append(key)
                except IntegrityError:
                    connection.rollback()  # another call holds this nurse
        return claimed

    def end_legs(self, call_sid: str, outcome: str, nurse_key: str | None = None) -> int:
        """End this call's live legs (or one nurse's): those nurses can be rung again."""
        change = update(NurseLeg).where(NurseLeg.call_sid == call_sid, NurseLeg.ended_at.is_(None))
        if nurse_key is not None:
            change = change.where(NurseLeg.nurse_key == nurse_key)
        change = change.values(ended_at=self.clock(), outcome=outcome[:20])
        with self._database("ending nurse legs"), self.engine.begin() as connection:
            return connection.execute(change).rowcount

    def held_by(self, call_sid: str) -> list[str]:
        """The keys of the nurses this call holds now (rung, or about to be)."""
        query = select(NurseLeg.nurse_key).where(
            NurseLeg.call_sid == call_sid, NurseLeg.ended_at.is_(None)
        )
        with self._database("reading nurse legs"), self.engine.connect() as connection:
            return list(connection.scalars(query.order_by(NurseLeg.id)).all())

    def declined_by(self, call_sid: str) -> list[str]:
        """The keys of the nurses who heard this call's whisper and did not take it."""
        query = select(NurseLeg.nurse_key).where(
            NurseLeg.call_sid == call_sid, NurseLeg.outcome == "declined"
        )
        with self._database("reading nurse legs"), self.engine.connect() as connection:
            return list(connection.scalars(query).all())

    # -------------------------------------------------------------- the queue

    def join_queue(
        self,
        call_sid: str,
        state: str,
        listening_to: str,
        reasons: list[str],
        practice: bool,
        language: str | None = None,
    ) -> None:
        """Put a caller in the queue, with their language; one who comes back (a call back
        not booked) keeps the place they had."""
        values = {
            "state": state[:STATE],
            "listening_to": listening_to[:LISTENING_TO],
            "reasons": [str(r) for r in reasons],
            "language": language,
        }
        back = (
            update(QueueEntry)
            .where(QueueEntry.call_sid == call_sid)
            .values(values | {"left_at": None, "left_how": None, "leaving_for": None})
        )
        with self._database("joining the queue"), self.engine.begin() as connection:
            if connection.execute(back).rowcount == 1:
                return
            row = values | {"call_sid": call_sid, "joined_at": self.clock()}
            connection.execute(insert(QueueEntry).values(row | {"practice": practice}))

    def queued_call(self, call_sid: str) -> QueuedCall | None:
        """The caller's queue entry, whether waiting or gone."""
        query = select(QueueEntry).where(QueueEntry.call_sid == call_sid)
        with self._database("reading the queue"), self.engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        if row is None:
            return None
        return QueuedCall(
            row.call_sid,
            row.joined_at,
            row.listening_to,
            list(row.reasons or []),
            row.state,
            row.leaving_for,
            row.announced,
            row.left_how,
            max(0, int((self.clock() - row.joined_at).total_seconds())),
        )

    def queue_position(self, call_sid: str) -> int | None:
        """1 for the next caller a nurse takes; None if this caller is not waiting. Oldest
        first: a caller who left for a call back and came back keeps their place."""
        waiting = QueueEntry.left_at.is_(None)
        mine = select(QueueEntry.id, QueueEntry.joined_at, QueueEntry.practice).where(
            QueueEntry.call_sid == call_sid, waiting
        )
        with self._database("reading the queue"), self.engine.connect() as connection:
            found = connection.execute(mine).one_or_none()
            if found is None:
                return None
            # Practice calls queue among themselves, never ahead of a real caller.
            ahead = select(func.count()).where(
                waiting,
                QueueEntry.leaving_for.is_(None),
                # Oldest first; callers who joined in the same instant, in the order they came.
                tuple_(QueueEntry.joined_at, QueueEntry.id) < tuple_(found.joined_at, found.id),
                QueueEntry.practice.is_(found.practice),
            )
            return int(connection.scalar(ahead) or 0) + 1

    def leave_for(self, call_sid: str, leaving_for: str) -> bool:
        """Mark why the caller leaves the wait (a nurse's key, "callback", "guidance"), for
        the queue's action to read; False if they are not waiting or already leaving."""
        change = (
            update(QueueEntry)
            .where(
                QueueEntry.call_sid == call_sid,
                QueueEntry.left_at.is_(None),
                QueueEntry.leaving_for.is_(None),
            )
            .values(leaving_for=leaving_for)
        )
        with self._database("leaving the queue"), self.engine.begin() as connection:
            return connection.execute(change).rowcount == 1

    def left_queue(self, call_sid: str, how: str) -> None:
        """The caller is out of the queue, and how (one of LEFT_HOW)."""
        assert how in LEFT_HOW, how
        change = (
            update(QueueEntry)
            .where(QueueEntry.call_sid == call_sid)
            .values(left_at=self.clock(), left_how=how, leaving_for=None)
        )
        with self._database("leaving the queue"), self.engine.begin() as connection:
            connection.execute(change)

    def note_announced(self, call_sid: str) -> None:
        """The caller was told their place once more."""
        change = (
            update(QueueEntry)
            .where(QueueEntry.call_sid == call_sid)
            .values(announced=QueueEntry.announced + 1)
        )
        with self._database("noting an announcement"), self.engine.begin() as connection:
            connection.execute(change)

    def queue_figures(self, since: dt.datetime) -> QueueFigures:
        """Waits answered and ways out of the queue since then (practice calls left out)."""
        real = QueueEntry.practice.is_(False)
        gone = select(QueueEntry.joined_at, QueueEntry.left_at, QueueEntry.left_how).where(
            real, QueueEntry.joined_at >= since, QueueEntry.left_at.is_not(None)
        )
        waiting = select(func.count()).where(real, QueueEntry.left_at.is_(None))
        with self._database("queue figures"), self.engine.connect() as connection:
            rows = connection.execute(gone).all()
            now_waiting = int(connection.scalar(waiting) or 0)
        waits = sorted(
            (r.left_at - r.joined_at).total_seconds() for r in rows if r.left_how == "answered"
        )
        return QueueFigures(waits, dict(Counter(r.left_how for r in rows)), now_waiting)
