"""What callers needed, from the journal: the figures behind the staff dashboard.

Calls from the practice phones are listed among recent calls, marked, but never counted in the
figures: a morning of practice must not look like a morning of callers.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select, type_coerce

from ivr.store.tables import Call, CallEvent, CallTransfer, JournalLoss, UTCDateTime


@dataclass(frozen=True)
class RecentCall:
    """One call as staff see it: when, how long, its path and transfers; never the number."""

    call_sid: str
    started_at: dt.datetime
    duration_seconds: int | None
    status: str | None
    path: list[str]
    transfers: list[tuple[str, str]]
    practice: bool


@dataclass(frozen=True)
class Figures:
    """Counts for the dashboard's charts, each a list of (label, count) most first.

    Only real calls are counted; `practice_calls_left_out` says how many practice calls were not.
    """

    calls_per_day: list[tuple[str, int]]
    parts_heard: list[tuple[str, int]]
    drop_off: list[tuple[str, int]]
    transfer_outcomes: list[tuple[str, int]]
    seconds_to_person: list[float]
    practice_calls_left_out: int
    # Journal events lost in the period (not written, or dropped), so figures are read with care.
    journal_events_lost: int = 0
    # Calls by the language they were last heard in (its code; "" where it was not kept).
    calls_by_language: list[tuple[str, int]] = field(default_factory=list)


def recent_calls(engine: Engine, limit: int = 50) -> list[RecentCall]:
    """The latest calls, newest first, with the nodes they went through."""
    with engine.connect() as connection:
        calls = connection.execute(
            select(
                Call.call_sid, Call.started_at, Call.duration_seconds, Call.status, Call.practice
            )
            .order_by(Call.started_at.desc())
            .limit(limit)
        ).all()
        sids = [c.call_sid for c in calls]
        steps = connection.execute(
            select(CallEvent.call_sid, CallEvent.to_node)
            .where(CallEvent.call_sid.in_(sids))
            .order_by(CallEvent.id)
        ).all()
        moves = connection.execute(
            select(CallTransfer.call_sid, CallTransfer.target, CallTransfer.outcome)
            .where(CallTransfer.call_sid.in_(sids))
            .order_by(CallTransfer.id)
        ).all()
    paths: dict[str, list[str]] = {sid: [] for sid in sids}
    for step in steps:
        path = paths[step.call_sid]
        if not path or path[-1] != step.to_node:
            path.append(step.to_node)
    transfers: dict[str, list[tuple[str, str]]] = {sid: [] for sid in sids}
    for move in moves:
        transfers[move.call_sid].append((move.target, move.outcome))
    return [
        RecentCall(
            c.call_sid,
            c.started_at,
            c.duration_seconds,
            c.status,
            paths[c.call_sid],
            transfers[c.call_sid],
            bool(c.practice),
        )
        for c in calls
    ]


def figures(engine: Engine, days: int = 14, now: dt.datetime | None = None) -> Figures:
    """Calls per day, parts heard, where callers hang up, transfers, and time to a person."""
    now = now or dt.datetime.now(dt.UTC)
    since = now - dt.timedelta(days=days)
    # Every count is of real calls: steps and transfers are joined to their call to tell.
    real = Call.practice.is_(False)
    with engine.connect() as connection:
        started = connection.execute(
            select(Call.started_at, Call.language).where(Call.started_at >= since, real)
        ).all()
        practice_calls = connection.scalar(
            select(func.count())
            .select_from(Call)
            .where(Call.started_at >= since, Call.practice.is_(True))
        )
        heard = connection.execute(
            select(CallEvent.to_node, func.count())
            .join(Call, Call.call_sid == CallEvent.call_sid)
            .where(CallEvent.kind == "ask", CallEvent.at >= since, real)
            .group_by(CallEvent.to_node)
        ).all()
        # Where each ended call was last: the menu it hung up in.
        last = (
            select(func.max(CallEvent.id).label("id"))
            .join(Call, Call.call_sid == CallEvent.call_sid)
            .where(Call.ended_at.is_not(None), Call.started_at >= since, real)
            .group_by(CallEvent.call_sid)
            .subquery()
        )
        ended_in = connection.execute(
            select(CallEvent.to_node, func.count())
            .where(CallEvent.id.in_(select(last.c.id)))
            .group_by(CallEvent.to_node)
        ).all()
        outcomes = connection.execute(
            select(CallTransfer.outcome, func.count())
            .join(Call, Call.call_sid == CallTransfer.call_sid)
            .where(CallTransfer.at >= since, real)
            .group_by(CallTransfer.outcome)
        ).all()
        first_transfer = (
            select(
                CallTransfer.call_sid,
                type_coerce(func.min(CallTransfer.at), UTCDateTime).label("at"),
            )
            .group_by(CallTransfer.call_sid)
            .subquery()
        )
        waits = connection.execute(
            select(Call.started_at, first_transfer.c.at)
            .join(first_transfer, first_transfer.c.call_sid == Call.call_sid)
            .where(Call.started_at >= since, real)
        ).all()
        lost = connection.scalar(
            select(func.coalesce(func.sum(JournalLoss.failed + JournalLoss.dropped), 0)).where(
                JournalLoss.at >= since
            )
        )
    per_day = Counter(_aware(c.started_at).astimezone(dt.UTC).date().isoformat() for c in started)
    days_shown = [(now - dt.timedelta(days=n)).date().isoformat() for n in range(days - 1, -1, -1)]
    return Figures(
        calls_per_day=[(day, per_day.get(day, 0)) for day in days_shown],
        parts_heard=_most(heard),
        drop_off=_most(ended_in),
        transfer_outcomes=_most(outcomes),
        seconds_to_person=sorted(
            (_aware(w.at) - _aware(w.started_at)).total_seconds() for w in waits
        ),
        practice_calls_left_out=practice_calls or 0,
        journal_events_lost=int(lost or 0),
        calls_by_language=_most(Counter(c.language or "" for c in started).items()),
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _most(rows: object) -> list[tuple[str, int]]:
    pairs = [(str(label), int(count)) for label, count in rows]  # type: ignore[attr-defined]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


def median(values: list[float]) -> float | None:
    """The median, or None for no values."""
    return statistics.median(values) if values else None
