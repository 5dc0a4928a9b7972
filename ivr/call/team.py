"""The nurses a call can ring now: the rota within each nurse's hours, less those on a call.

The rota and the live legs are kept by the store (ivr.store.team); this module decides, for
the clock the engine goes by, who is on duty and who is free, and claims nurses for a call so
that no nurse is rung while on another helpline call. With no rota, NURSE_LINE_NUMBER is
rung as before: a line the helpline cannot see into (it may ring several phones), so it is
never counted busy and callers never queue for it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

from ivr.content.hours import UK, Hours, HoursError, parse_hours

log = logging.getLogger("ivr.calls")
# The key of NURSE_LINE_NUMBER's one nurse; a nurse on the rota is "n:<id>".
LINE_KEY = "line"
# Practice calls claim nurses of their own, so a tester never makes a real nurse look busy.
PRACTICE_PREFIX = "p:"


class Ring(StrEnum):
    """How a call reaches the nurses on duty (NURSE_RING)."""

    ALL = "all"  # every free nurse at once: the first to answer hears the whisper
    TURN = "turn"  # one at a time, in rota order, each for NURSE_RING_SECONDS


@dataclass(frozen=True, slots=True)
class Nurse:
    """A nurse who can be rung: how the legs name them, and their number (never logged)."""

    key: str
    number: str


class RotaEntry(Protocol):
    """A nurse as the store keeps them (ivr.store.team.NurseRecord)."""

    @property
    def key(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def hours(self) -> str: ...
    def off_on(self, day: dt.date) -> bool: ...


class RotaStore(Protocol):
    """Where the rota and the live legs are kept (ivr.store.Store); may raise when down."""

    def list_nurses(self) -> Sequence[RotaEntry]: ...
    def busy_nurses(self) -> frozenset[str]: ...
    def claim_nurses(self, call_sid: str, keys: list[str]) -> list[str]: ...


@lru_cache(maxsize=256)
def _hours(text: str) -> Hours | None:
    try:
        return parse_hours(text, "a nurse's hours")
    except HoursError:
        return None  # the staff site checks hours when they are set: never on duty on a typo


class Team:
    """The nurse line's nurses, by the engine's clock."""

    def __init__(
        self,
        store: RotaStore | None,
        line_number: str | None,
        clock: Callable[[], dt.datetime],
        ring: Ring = Ring.ALL,
        ring_seconds: int = 20,
    ) -> None:
        self.store = store
        self.line_number = line_number
        self.clock = clock
        self.ring = ring
        self.ring_seconds = ring_seconds

    def on_duty(self) -> tuple[Nurse, ...]:
        """Who is on the rota now (within their hours, not off today), in ring order; with no
        rota, NURSE_LINE_NUMBER. If the store cannot be read, the line number is rung."""
        line = (Nurse(LINE_KEY, self.line_number),) if self.line_number else ()
        if self.store is None:
            return line
        try:
            rota = self.store.list_nurses()
        except Exception:
            log.warning("nurse rota unreadable: ringing NURSE_LINE_NUMBER", exc_info=True)
            return line
        if not rota:
            return line
        now = self.clock()
        today = now.astimezone(UK).date()
        return tuple(
            Nurse(entry.key, entry.number)
            for entry in rota
            if not entry.off_on(today) and (hours := _hours(entry.hours)) and hours.is_open(now)
        )

    def free(
        self,
        practice: bool = False,
        exclude: tuple[str, ...] = (),
        duty: tuple[Nurse, ...] | None = None,
    ) -> tuple[Nurse, ...]:
        """Who is on duty (`duty`, when the caller has read it already) and on no helpline
        call now, less those `exclude`d (tried already)."""
        duty_now = self.on_duty() if duty is None else duty
        duty = tuple(n for n in duty_now if n.key not in exclude)
        if self.store is None or not duty:
            return duty
        try:
            busy = self.store.busy_nurses()
        except Exception:
            log.warning("nurse legs unreadable: ringing as if all were free", exc_info=True)
            return duty
        return tuple(n for n in duty if n.key == LINE_KEY or _leg_key(n.key, practice) not in busy)

    def claim(self, call_sid: str, nurses: tuple[Nurse, ...], practice: bool) -> tuple[Nurse, ...]:
        """Hold nurses for this call, so no other call rings them: every one given that no
        other call took just now (all at once), or the first of them that is free (in turn)."""
        every = self.ring is Ring.ALL
        if self.store is None or not call_sid or all(n.key == LINE_KEY for n in nurses):
            return nurses if every else nurses[:1]
        try:
            if every:
                keys = [_leg_key(n.key, practice) for n in nurses]
                held = set(self.store.claim_nurses(call_sid, keys))
                return tuple(n for n in nurses if _leg_key(n.key, practice) in held)
            for nurse in nurses:
                if self.store.claim_nurses(call_sid, [_leg_key(nurse.key, practice)]):
                    return (nurse,)
            return ()
        except Exception:
            # Better a nurse rung twice than a caller left ringing nobody.
            log.warning("nurse legs unwritable: ringing without holding", exc_info=True)
            return nurses if every else nurses[:1]


def _leg_key(key: str, practice: bool) -> str:
    return PRACTICE_PREFIX + key if practice else key
