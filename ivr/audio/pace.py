"""How fast prompts are spoken, and how long a menu waits: settings read by the audio and TwiML."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pace:
    """How fast prompts are spoken (the engine's rate, the <Say> rate, the ceiling), and how
    long a menu waits for a key."""

    name: str
    engine_rate: int
    say_rate: str
    max_words_per_minute: int
    wait: int = 8  # seconds a menu waits for a key at this pace (the slow pace waits longer)
