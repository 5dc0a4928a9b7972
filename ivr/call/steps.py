"""What the engine answers with: one step of a call, each kind rendered as TwiML elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from ivr.call.state import CallState
from ivr.numbers import is_practice_caller


@dataclass(frozen=True, slots=True)
class Ask:
    """Play prompts and wait for a key or words (a Gather); silence comes back as no input."""

    prompts: tuple[str, ...]
    state: CallState
    hints: tuple[str, ...]
    # A phone number is keyed as several digits, ended by # (elsewhere # means "again").
    max_digits: int = 1
    finish_on_key: str = ""
    fill: tuple[tuple[str, str], ...] = ()  # values for prompts filled in during the call


@dataclass(frozen=True, slots=True)
class Transfer:
    """Play prompts, then ring a person; the outcome comes back with the same state."""

    prompts: tuple[str, ...]
    state: CallState
    number: str
    whisper: bool = True  # the nurse line hears why the caller rang; other services do not
    # The nurses rung, as (key, number): one <Number> each, all ringing at once.
    ring: tuple[tuple[str, str], ...] = ()
    timeout: int = 0  # seconds it rings; 0 for DIAL_TIMEOUT


@dataclass(frozen=True, slots=True)
class Screen:
    """What the person answering hears before the caller is put through: press 1 to take it."""

    prompts: tuple[str, ...]
    state: CallState
    fill: tuple[tuple[str, str], ...]
    nurse: str = ""  # which nurse on the rota hears it: their key comes back with their answer


@dataclass(frozen=True, slots=True)
class Connect:
    """The person answering took the call: end the whisper so the two are put through."""

    state: CallState


@dataclass(frozen=True, slots=True)
class Goodbye:
    """Play prompts, then end the call."""

    prompts: tuple[str, ...]
    state: CallState


@dataclass(frozen=True, slots=True)
class Queue:
    """Play prompts, then wait in the queue for the next nurse free (Twilio's <Enqueue>)."""

    prompts: tuple[str, ...]
    state: CallState


@dataclass(frozen=True, slots=True)
class Hold:
    """A turn of the wait in the queue: prompts (or none), a pause, and a key may leave it."""

    prompts: tuple[str, ...]
    state: CallState
    fill: tuple[tuple[str, str], ...] = ()
    pause: int = 15  # seconds of quiet before the queue asks again


@dataclass(frozen=True, slots=True)
class Leave:
    """Leave the queue (for a nurse who is free, a call back, or the guidance)."""

    state: CallState


@dataclass(frozen=True, slots=True)
class Record:
    """Play prompts, then record a message for the nurses; # ends it."""

    prompts: tuple[str, ...]
    state: CallState
    max_seconds: int = 120


Step = Ask | Transfer | Goodbye | Screen | Connect | Queue | Hold | Leave | Record


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, as Twilio says: the CallSid and the number (never stored in the state)."""

    sid: str = ""
    number: str | None = None

    @property
    def practice(self) -> bool:
        """A call from the practice phones: what it books is marked, so nobody rings it."""
        return is_practice_caller(self.number)


NOBODY = Caller()
