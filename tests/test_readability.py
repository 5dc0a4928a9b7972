"""Tests for ivr.content.readability: how easy a prompt is to follow by ear, and how long it
takes."""

from __future__ import annotations

import pytest

from ivr.content.readability import (
    MAX_AVERAGE_SENTENCE,
    MIN_READING_EASE,
    MIN_WORDS_TO_SCORE,
    Readability,
    measure,
    seconds_to_say,
    word_count,
)

PLAIN = "You can ask your doctor for a second opinion. Most doctors are happy to help you."
HARD = (
    "Notwithstanding considerable institutional heterogeneity, multidisciplinary oncological "
    "deliberations necessitate comprehensive documentation regarding therapeutic alternatives."
)
LONG_SENTENCE = (
    "The cat sat on the mat and the dog sat on the rug and the bird sat in the tree all day."
)


def test_the_standards() -> None:
    """The limits are those of the standards page: ease 60, 15 words a sentence, from 12 words."""
    assert (MIN_READING_EASE, MAX_AVERAGE_SENTENCE, MIN_WORDS_TO_SCORE) == (60.0, 15.0, 12)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("Hello.", 1),
        ("  To hear more,\n press 1.  ", 5),
        ("The number is 0800 917 2127.", 6),
    ],
)
def test_word_count(text: str, words: int) -> None:
    """Words are what a listener hears, split on any spaces; a number's groups count as words."""
    assert word_count(text) == words


@pytest.mark.parametrize(("words", "seconds"), [(0, 0.0), (70, 30.0), (140, 60.0), (7, 3.0)])
def test_seconds_to_say(words: int, seconds: float) -> None:
    """Speech runs at 140 words a minute."""
    assert seconds_to_say(words) == pytest.approx(seconds)


def test_short_prompts_are_not_scored() -> None:
    """Under 12 words the formula means little: the prompt is not scored and passes."""
    eleven = " ".join(HARD.split()[:11])
    score = measure(eleven)
    assert score == Readability(11, 0.0, 11.0)
    assert (score.scored, score.passes) == (False, True)


def test_plain_prompt_passes() -> None:
    """Short sentences of everyday words pass."""
    score = measure(PLAIN)
    assert score.words == 16
    assert score.scored
    assert score.reading_ease >= MIN_READING_EASE
    assert score.average_sentence == pytest.approx(8.0)
    assert score.passes


def test_hard_words_fail_on_reading_ease() -> None:
    """Long, rare words give a low reading ease, and the prompt fails."""
    score = measure(HARD)
    assert score.scored
    assert score.reading_ease < MIN_READING_EASE
    assert score.average_sentence <= MAX_AVERAGE_SENTENCE
    assert not score.passes


def test_long_sentence_fails_on_length() -> None:
    """Easy words in one long sentence still fail: the listener cannot hold it."""
    score = measure(LONG_SENTENCE)
    assert score.reading_ease >= MIN_READING_EASE
    assert score.average_sentence == pytest.approx(22.0)
    assert not score.passes


@pytest.mark.parametrize(
    ("score", "passes"),
    [
        (Readability(12, 60.0, 15.0), True),
        (Readability(12, 59.9, 15.0), False),
        (Readability(12, 60.0, 15.1), False),
        (Readability(11, 0.0, 11.0), True),
    ],
)
def test_passes_at_the_limits(score: Readability, passes: bool) -> None:
    """Exactly ease 60 and 15 words a sentence pass; a little worse fails."""
    assert score.passes is passes
