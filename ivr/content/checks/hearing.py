"""Checks of what callers hear, by design: the one safety message, the main menu on one key,
the walk-through's summary; readability and review date.

The checks that need the language's own words are in language_use."""

from __future__ import annotations

import datetime as dt

from ivr.content.checks.rules import node_problem, written_at
from ivr.content.model import (
    LANGUAGE_KEY,
    MAIN_MENU_KEY,
    MAIN_MENU_PROMPT,
    PACE_KEY,
    SAFETY_PROMPT,
    CallbackNode,
    ChoiceNode,
    Flow,
    InfoNode,
    PromptBook,
    SummaryNode,
    TransferNode,
)
from ivr.content.problems import Problem, ProblemList
from ivr.content.readability import (
    MAX_AVERAGE_SENTENCE,
    MAX_AVERAGE_WORD,
    MIN_READING_EASE,
    measure,
)
from ivr.content.wording import sentences


def check_safety(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    """The one safety message is played wherever safety is said."""
    if SAFETY_PROMPT not in flow.welcome:
        problems.add(
            Problem(
                *written_at(flow.welcome[0] if flow.welcome else "", "flows"),
                f"the welcome does not play {SAFETY_PROMPT}",
                f"add {SAFETY_PROMPT} to `welcome:`, after the greeting",
                rule="safety-message",
            )
        )
    operator = flow.nodes.get(flow.operator)
    needing: list[tuple[str, str]] = []
    if isinstance(operator, TransferNode):
        needing += [
            (operator.closed, "the nurse line is closed"),
            (operator.unavailable, "no nurse is free"),
        ]
    needing += [
        (n.failed, "a call back could not be booked")
        for n in flow.nodes.values()
        if isinstance(n, CallbackNode)
    ]
    for node_id, when in needing:
        node = flow.nodes.get(node_id)
        if node is not None and SAFETY_PROMPT not in node.say:
            problems.add(
                node_problem(
                    node,
                    f"is where callers hear that {when}, and does not play {SAFETY_PROMPT}",
                    f"add {SAFETY_PROMPT} to its `say:`",
                    rule="safety-message",
                )
            )


def check_main_menu(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    """The main menu is on one key everywhere, and every block ends by saying so."""
    for node in flow.nodes.values():
        if not isinstance(node, ChoiceNode):
            continue
        for option in node.options:
            if option.key in (PACE_KEY, LANGUAGE_KEY):
                problems.add(
                    Problem(
                        *written_at(option.to, node.file),
                        f"option {option.key} is on a key that works everywhere: {PACE_KEY} is "
                        f"the slower voice and {LANGUAGE_KEY} the next language",
                        "put the option on another key (1 to 6)",
                        node.id,
                        rule="reserved-key",
                    )
                )
            if option.to == flow.start:
                problems.add(
                    Problem(
                        *written_at(option.to, node.file),
                        f"option {option.key} leads to the main menu, which is on "
                        f"{MAIN_MENU_KEY} everywhere",
                        f"remove the option: {MAIN_MENU_KEY} does this, and {MAIN_MENU_PROMPT} "
                        "says so",
                        node.id,
                        rule="main-menu-key",
                    )
                )
        said = node.said_choices()
        if isinstance(node, InfoNode | SummaryNode) and said[-1:] != (MAIN_MENU_PROMPT,):
            problems.add(
                node_problem(
                    node,
                    f"never tells the caller that {MAIN_MENU_KEY} is the main menu"
                    if MAIN_MENU_PROMPT not in said
                    else f"says {MAIN_MENU_PROMPT} before its other choices",
                    f"end its choices with {MAIN_MENU_PROMPT}",
                    rule="main-menu-key",
                )
            )


def check_summary(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    """The summary gives advice for each yes (the reason, then what helps) and what comes after."""
    for node in flow.nodes.values():
        if not isinstance(node, SummaryNode):
            continue
        if not node.after:
            problems.add(
                node_problem(
                    node,
                    "says nothing after the answers",
                    "add `after:` with what to weigh whatever the answers (a second opinion "
                    "can delay treatment)",
                    rule="walk-summary",
                )
            )
        for answer, prompt_id in node.answers:
            if prompt_id in prompts and len(sentences(prompts[prompt_id].text)) < 2:
                problems.add(
                    node_problem(
                        node,
                        f"only reads back the answer {answer!r} ({prompt_id})",
                        "say the reason, then what may help with it, in a second sentence",
                        rule="walk-summary",
                    )
                )


def check_readability(prompts: PromptBook, problems: ProblemList) -> None:
    """Every prompt long enough to score must be easy to follow: by reading ease in English,
    by word length in other languages (Flesch counts English syllables)."""
    for prompt in prompts.prompts.values():
        score = measure(prompt.text, prompts.language)
        if score.passes:
            continue
        first = (
            f"reading ease {score.reading_ease:.0f} (at least {MIN_READING_EASE:.0f})"
            if score.flesch
            else f"{score.average_word:.1f} letters a word (at most {MAX_AVERAGE_WORD:.0f})"
        )
        problems.add(
            Problem(
                prompt.file,
                prompt.line,
                f"prompt {prompt.id} is hard to follow: {first}, "
                f"{score.average_sentence:.1f} words a sentence "
                f"(at most {MAX_AVERAGE_SENTENCE:.0f})",
                "use shorter words and sentences, one idea each",
                rule="readability",
            )
        )


def check_review_date(flow: Flow, today: dt.date, problems: ProblemList) -> None:
    """Warn when the guidance the line speaks is past its review date."""
    if today >= flow.guidance.next_review:
        problems.add(
            Problem(
                flow.guidance.file,
                flow.guidance.line,
                f"the guidance was due for review on {flow.guidance.next_review}",
                "check the content against the current guidance and update `guidance:` dates",
                warning=True,
                rule="review-date",
            )
        )
