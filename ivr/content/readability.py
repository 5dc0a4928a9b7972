"""How easy a prompt is to follow by ear: reading ease, sentence length and spoken time.

Flesch reading ease counts English syllables, so it scores English only. Prompts in any other
language are held to sentence length and word length (letters a word) instead.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from dataclasses import dataclass
from functools import cache
from typing import Any


class _PkgResourcesOnUse(types.ModuleType):
    """Stands in for pkg_resources until something uses it. textstat 0.7.4 imports it at once
    (a third of a second) only to read word lists this project never asks for."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get("pkg_resources") is self:
            del sys.modules["pkg_resources"]
        return getattr(importlib.import_module("pkg_resources"), name)


@cache
def _textstat() -> Any:
    """textstat, imported on first use: `ivr --help` and the webhooks never need it."""
    if "pkg_resources" not in sys.modules:
        sys.modules["pkg_resources"] = _PkgResourcesOnUse("pkg_resources")
    import textstat

    return textstat


# The standards page: Flesch reading ease at least 60, sentences of 15 words on average at most,
# checked on prompts long enough for the formula to mean something.
MIN_READING_EASE = 60.0
MAX_AVERAGE_SENTENCE = 15.0
MIN_WORDS_TO_SCORE = 12
# Other languages: at most this many letters a word on average (English prompts here average 4,
# at most 5; the Welsh ones 4.3, at most 5.5).
MAX_AVERAGE_WORD = 6.0
FLESCH_LANGUAGES = ("en",)  # languages (by the code's first part) Flesch reading ease is for
_LETTERS = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# The normal pace's ceiling; spoken time is estimated from words until audio is measured.
WORDS_PER_MINUTE = 140


@dataclass(frozen=True, slots=True)
class Readability:
    """The figures for one prompt."""

    words: int
    reading_ease: float
    average_sentence: float
    average_word: float = 0.0  # letters a word, for languages Flesch does not score
    flesch: bool = True  # scored by reading ease (English), else by word length

    @property
    def scored(self) -> bool:
        return self.words >= MIN_WORDS_TO_SCORE

    @property
    def passes(self) -> bool:
        if not self.scored:
            return True
        if self.flesch:
            return (
                self.reading_ease >= MIN_READING_EASE
                and self.average_sentence <= MAX_AVERAGE_SENTENCE
            )
        return (
            self.average_sentence <= MAX_AVERAGE_SENTENCE and self.average_word <= MAX_AVERAGE_WORD
        )


def word_count(text: str) -> int:
    """Words as a listener hears them (a phone number's groups count as words)."""
    return len(text.split())


def seconds_to_say(words: int) -> float:
    """About how long the words take at the normal pace."""
    return words * 60.0 / WORDS_PER_MINUTE


def uses_flesch(language: str) -> bool:
    """Whether Flesch reading ease scores this language (English); else word length does."""
    return not language or language.split("-")[0] in FLESCH_LANGUAGES


def measure(text: str, language: str = "en-GB") -> Readability:
    """Score one prompt's written form, in its language."""
    words = word_count(text)
    if not uses_flesch(language):
        letters = [len(w) for w in _LETTERS.findall(text)] or [0]
        sentences = [s for s in _SENTENCE_END.split(text.strip()) if s] or [text]
        return Readability(
            words, 0.0, words / len(sentences), sum(letters) / len(letters), flesch=False
        )
    if words < MIN_WORDS_TO_SCORE:
        return Readability(words, 0.0, float(words))
    return Readability(
        words,
        float(_textstat().flesch_reading_ease(text)),
        float(_textstat().avg_sentence_length(text)),
    )
