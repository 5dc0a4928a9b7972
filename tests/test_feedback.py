"""Did this call help? Asked once a call at the end of the parts the flow names, through the real
signed webhooks: 1 yes, 2 no (or the words), silence or any other key skips it at no cost, and
the answers are kept with the part on the store, never with the call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from ivr.practice.phone import Phone, Transcript
from ivr.store import Store
from tests.conftest import CALLER, TOKEN, at_weekday_noon

TO_ENGLAND = ["4", "1"]
TO_WALES = ["4", "3"]


@pytest.fixture
def app(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    """The helpline with a database of its own, to count answers in."""
    return make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'feedback.sqlite3'}")


def said(app: Flask, prompt_id: str) -> str:
    text: str = app.extensions["ivr"].content.prompts[prompt_id].spoken
    return text


def call(app: Flask, keys: list[str], dial_outcome: str = "answered") -> Transcript:
    transcript = Phone(app, auth_token=TOKEN, caller=CALLER, dial_outcome=dial_outcome).call(keys)
    assert transcript.errors() == []
    return transcript


def counted(app: Flask) -> list[tuple[str, int, int, int]]:
    store: Store = app.extensions["ivr"].store
    assert store.flush()
    since = at_weekday_noon() - dt.timedelta(days=400)
    return [(h.part, h.asked, h.answered, h.said_yes) for h in store.feedback_figures(since)]


def test_the_question_ends_the_part_and_the_choices_follow_the_answer(app: Flask) -> None:
    """After England's advice: the question, then 1: thanks, and the part's choices."""
    heard = call(app, [*TO_ENGLAND, "1"]).heard()
    asked = heard.index(said(app, "feedback.ask"))
    assert heard[asked - 1] == said(app, "referral.england")
    assert heard[asked + 1 :] == [
        said(app, "feedback.thanks"),
        said(app, "referral.also_next"),
        said(app, "main.return"),
    ]
    assert counted(app) == [("england", 1, 1, 1)]


@pytest.mark.parametrize(
    ("answer", "figures"),
    [
        ("2", ("england", 1, 1, 0)),
        ("no, not really", ("england", 1, 1, 0)),
        ("yes", ("england", 1, 1, 1)),
        (".", ("england", 1, 0, 0)),
    ],
)
def test_answers_by_key_or_word_and_silence_skips(
    app: Flask, answer: str, figures: tuple[str, int, int, int]
) -> None:
    """2 or "no" is no, "yes" is yes; silence skips it, with no hint and no silence counted."""
    transcript = call(app, [*TO_ENGLAND, answer])
    heard = transcript.heard()
    assert said(app, "system.no_input") not in heard
    assert (said(app, "feedback.thanks") in heard) is (answer != ".")
    assert heard[-2:] == [said(app, "referral.also_next"), said(app, "main.return")]
    assert "s=" not in (transcript.of_kind("gather")[-1].url or "")
    assert counted(app) == [figures]


def test_any_other_key_skips_it_and_does_what_it_does(app: Flask) -> None:
    """8 at the question is the main menu, as everywhere; 1 there means the part's option."""
    heard = call(app, [*TO_ENGLAND, "8"]).heard()
    assert heard[-1] == said(app, "main.choices")
    transcript = call(app, [*TO_WALES, "0"], dial_outcome="busy")
    assert len(transcript.of_kind("dial")) == 1
    assert counted(app) == [("england", 1, 0, 0), ("wales", 1, 0, 0)]


def test_it_is_asked_once_a_call(app: Flask) -> None:
    """Having answered after England, the caller is not asked again after Wales."""
    heard = call(app, [*TO_ENGLAND, "1", "1", "3"]).heard()
    assert heard.count(said(app, "feedback.ask")) == 1
    assert heard[-2:] == [said(app, "referral.also_next"), said(app, "main.return")]
    assert counted(app) == [("england", 1, 1, 1)]


def test_it_is_asked_after_the_walk_through(app: Flask) -> None:
    """At the end of the walk-through, after its summary, before its next steps."""
    heard = call(app, ["2", "1", "2", "2", "2", "2", "2", "2"]).heard()
    assert heard[-3:] == [
        said(app, "feedback.thanks"),
        said(app, "walk.next"),
        said(app, "main.return"),
    ]
    assert counted(app) == [("walk_summary", 1, 1, 0)]


def test_after_a_call_to_pass_it_comes_before_the_goodbye(app: Flask) -> None:
    """Put through to PASS from the number's own part, the call ends with the question, then
    thanks and the goodbye."""
    transcript = Phone(app, auth_token=TOKEN, caller=CALLER).call(
        ["3", "1"], path="/voice/entry/43"
    )
    assert transcript.errors() == []
    heard = transcript.heard()
    assert heard[-3:] == [
        said(app, "feedback.ask"),
        said(app, "feedback.thanks"),
        said(app, "system.after_call"),
    ]
    assert transcript.ended_by == "hangup"
    assert counted(app) == [("scotland_transfer", 1, 1, 1)]


def test_practice_answers_are_kept_apart(app: Flask) -> None:
    """The practice phones' answers are never counted."""
    practice = Phone(app, auth_token=TOKEN).call([*TO_ENGLAND, "1"])
    assert said(app, "feedback.ask") in practice.heard()
    assert counted(app) == []
