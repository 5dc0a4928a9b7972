"""Checks that read the prompts with the language's own words (its language.yaml): each key
said as the language names it, the keys the welcome announces, choices' words apart from the
words for the keys that work everywhere, and the last resort word for word."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ivr.content.checks.rules import node_problem, written_at
from ivr.content.language import Language
from ivr.content.model import (
    BACK_KEY,
    LANGUAGE_KEY,
    LANGUAGE_OFFER_PROMPT,
    MAIN_MENU_KEY,
    MAIN_MENU_PROMPT,
    NO_KEY,
    OPERATOR_KEY,
    PACE_KEY,
    REPEAT_KEY,
    SAFETY_PROMPT,
    YES_KEY,
    ChoiceNode,
    Flow,
    Node,
    PromptBook,
    QuestionNode,
)
from ivr.content.problems import Problem, ProblemList
from ivr.content.readability import seconds_to_say, word_count

# The way into a language is said before the welcome, so it must be short: callers who want
# the first language wait through it.
LANGUAGE_OFFER_SECONDS = 5.0

# The keys that work everywhere are announced once, at the start (the standards page).
WELCOME_KEYS = (OPERATOR_KEY, BACK_KEY, REPEAT_KEY, PACE_KEY)


def check_language_use(
    flow: Flow, prompts: PromptBook, language: Language, press: str, problems: ProblemList
) -> None:
    """Every check that needs the language's words; `press` is the word before a key."""
    for node in flow.nodes.values():
        if isinstance(node, ChoiceNode):
            _check_option_words(node, language, problems)
            _check_says_keys(
                node, [o.key for o in node.options], prompts, language, press, problems
            )
        if isinstance(node, QuestionNode):
            _check_says_keys(node, (YES_KEY, NO_KEY), prompts, language, press, problems)
    _check_welcome(flow, prompts, language, press, problems)
    _check_main_menu_key(prompts, press, problems)
    _check_last_resort(prompts, language, problems)
    _check_language_offer(prompts, press, problems)


def _check_option_words(node: ChoiceNode, language: Language, problems: ProblemList) -> None:
    """Each option's words are its own: no other option's, none that work everywhere."""
    everywhere = language.words_everywhere()
    seen: dict[str, str] = {}
    for option in node.options:
        for word in language.option_words(node.id, option.key, option.words):
            if word in everywhere:
                problems.add(
                    node_problem(
                        node,
                        f"option {option.key} uses the word {word!r}, which works everywhere",
                        "choose other words",
                        rule="options",
                    )
                )
            elif word in seen and seen[word] != option.key:
                problems.add(
                    node_problem(
                        node,
                        f"options {seen[word]} and {option.key} both use the word {word!r}",
                        "give each option its own words",
                        rule="options",
                    )
                )
            seen[word] = option.key


def _check_says_keys(
    node: Node,
    keys: Iterable[str],
    prompts: PromptBook,
    language: Language,
    press: str,
    problems: ProblemList,
) -> None:
    """The prompts must tell the caller each key: 'To hear X, press 1.' (or 'press one')."""
    text = " ".join(prompts[p].text for p in node.prompt_ids() if p in prompts).lower()
    for key in keys:
        said = f"({re.escape(key)}|{re.escape(language.key_names[key])})"
        if not re.search(rf"\b{re.escape(press)} {said}\b", text):
            problems.add(
                node_problem(
                    node,
                    f"never tells the caller to {press} {key}",
                    f'say the goal, then the key: "To hear ..., {press} {key}."',
                    rule="options",
                )
            )


def _check_welcome(
    flow: Flow, prompts: PromptBook, language: Language, press: str, problems: ProblemList
) -> None:
    """The welcome tells callers every key that works everywhere: digits as digits, the others
    by name ("press star")."""
    text = " ".join(prompts[p].text for p in flow.welcome if p in prompts).lower()
    for key in WELCOME_KEYS:
        said = f"{press} {key if key.isdigit() else language.key_names[key]}"
        if said not in text:
            problems.add(
                Problem(
                    *written_at(flow.welcome[0] if flow.welcome else "", "flows"),
                    f"the welcome never tells callers the {key} key",
                    f'announce it once at the start: "..., {said}."',
                    rule="welcome-keys",
                )
            )


def _check_main_menu_key(prompts: PromptBook, press: str, problems: ProblemList) -> None:
    """The prompt every block ends with says the main menu's key."""
    text = prompts[MAIN_MENU_PROMPT].text.lower() if MAIN_MENU_PROMPT in prompts else ""
    if text and not re.search(rf"\b{re.escape(press)} {MAIN_MENU_KEY}\b", text):
        main = prompts[MAIN_MENU_PROMPT]
        problems.add(
            Problem(
                main.file,
                main.line,
                f"{MAIN_MENU_PROMPT} does not say {press} {MAIN_MENU_KEY}",
                f'say "For the main menu, {press} {MAIN_MENU_KEY}."',
                rule="main-menu-key",
            )
        )


def _check_last_resort(prompts: PromptBook, language: Language, problems: ProblemList) -> None:
    """What the Fallback says when even the prompts cannot be read is the safety message."""
    if SAFETY_PROMPT in prompts and prompts[SAFETY_PROMPT].spoken != language.last_resort.safety:
        safety = prompts[SAFETY_PROMPT]
        problems.add(
            Problem(
                safety.file,
                safety.line,
                f"{SAFETY_PROMPT} is not what the Fallback URL says when even the prompts "
                f"cannot be read (last_resort: safety in {language.file}, line "
                f"{language.last_resort.line})",
                "change both together, word for word: the spoken form and last_resort's safety",
                rule="safety-message",
            )
        )


def _check_language_offer(prompts: PromptBook, press: str, problems: ProblemList) -> None:
    """The way into this language, said before the welcome: its key, in under 5 seconds."""
    if LANGUAGE_OFFER_PROMPT not in prompts:
        return  # a missing system prompt is named by the structure checks
    offer = prompts[LANGUAGE_OFFER_PROMPT]
    seconds = seconds_to_say(word_count(offer.spoken))
    if not re.search(rf"\b{re.escape(press)} {LANGUAGE_KEY}\b", offer.text.lower()):
        problems.add(
            Problem(
                offer.file,
                offer.line,
                f"{LANGUAGE_OFFER_PROMPT} does not say {press} {LANGUAGE_KEY}",
                f'name the language in itself, then the key: "..., {press} {LANGUAGE_KEY}."',
                rule="language-offer",
            )
        )
    if seconds > LANGUAGE_OFFER_SECONDS:
        problems.add(
            Problem(
                offer.file,
                offer.line,
                f"{LANGUAGE_OFFER_PROMPT} takes about {seconds:.1f} s to say; every caller "
                f"waits through it before the welcome",
                f"keep it under {LANGUAGE_OFFER_SECONDS:.0f} s: the language's name and the key",
                rule="language-offer",
            )
        )
