"""What a caller's words mean, in their language: a key, a change of pace, or nothing; and the
words the speech recogniser is told to listen for.

The words are data (prompts/<language>/language.yaml, and each option's `words:`); here are only
the rules for matching them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ivr.content.language import Intent, Language, has_phrase, heard_words
from ivr.content.model import (
    BACK_KEY,
    MAIN_MENU_KEY,
    NO_KEY,
    NODE_KINDS,
    OPERATOR_KEY,
    REPEAT_KEY,
    YES_KEY,
    ChoiceNode,
    Node,
    QuestionNode,
)

# The keys that words stand for in every node, tried in this order.
KEYS_EVERYWHERE = (
    (Intent.OPERATOR, OPERATOR_KEY),
    (Intent.MAIN_MENU, MAIN_MENU_KEY),
    (Intent.REPEAT, REPEAT_KEY),
    (Intent.BACK, BACK_KEY),
)
RingsService = Callable[[str], bool]  # whether a node id puts the caller through to a service


def _said(words: list[str], phrases: tuple[str, ...]) -> bool:
    return any(has_phrase(words, phrase) for phrase in phrases)


def _choice(
    node: ChoiceNode, words: list[str], language: Language, rings_service: RingsService
) -> str | None:
    """The option whose words were heard: the longest phrase wins ("how it is planned" over
    "how"). Asked for a nurse, a caller is never put through to an outside service on a word
    they also said."""
    wants_nurse = _said(words, language.say[Intent.OPERATOR])
    matches = [
        (len(phrase.split()), option.key)
        for option in node.options
        if not (wants_nurse and rings_service(option.to))
        for phrase in language.option_words(node.id, option.key, option.words)
        if has_phrase(words, phrase)
    ]
    return max(matches)[1] if matches else None


def _answer(
    node: QuestionNode, words: list[str], language: Language, rings_service: RingsService
) -> str | None:
    """Yes or no to a question."""
    return _yes_or_no(words, language)


def _yes_or_no(words: list[str], language: Language) -> str | None:
    """No first, as "no, it is not" holds a yes phrase."""
    if _said(words, language.say[Intent.NO]):
        return NO_KEY
    if _said(words, language.say[Intent.YES]):
        return YES_KEY
    return None


def _nothing(
    node: Node, words: list[str], language: Language, rings_service: RingsService
) -> str | None:
    return None


# What words mean in each kind of node, before the words that work everywhere. (Each function
# takes the kind of node it is listed for.)
_NODE_WORDS: Mapping[str, Callable[[Any, list[str], Language, RingsService], str | None]] = {
    "menu": _choice,
    "info": _choice,
    "summary": _choice,
    "question": _answer,
    "transfer": _nothing,
    "callback": _nothing,
    "voicemail": _nothing,
}
assert set(_NODE_WORDS) == set(NODE_KINDS)


def _option_words(node: ChoiceNode, language: Language) -> tuple[str, ...]:
    return tuple(
        word
        for option in node.options
        for word in language.option_words(node.id, option.key, option.words)
    )


# The words each kind of node listens for, besides those that work everywhere.
_NODE_HINTS: Mapping[str, Callable[[Any, Language], tuple[str, ...]]] = {
    "menu": _option_words,
    "info": _option_words,
    "summary": _option_words,
    "question": lambda _, language: language.yes_no_hints,
    "transfer": lambda _, __: (),
    "callback": lambda _, __: (),
    "voicemail": lambda _, __: (),
}
assert set(_NODE_HINTS) == set(NODE_KINDS)


def key_for_words(
    node: Node, speech: str, language: Language, rings_service: RingsService
) -> str | None:
    """Match what the caller said to a key: the node's own words first, then the words that
    work anywhere, then a key said on its own ("two"); None when nothing matches."""
    words = heard_words(speech)
    key = _NODE_WORDS[node.kind](node, words, language, rings_service)
    if key is not None:
        return key
    for intent, key_everywhere in KEYS_EVERYWHERE:
        if _said(words, language.say[intent]):
            return key_everywhere
    spoken = [language.keys_said[w] for w in words if w in language.keys_said]
    return spoken[0] if len(spoken) == 1 else None


def pace_for_words(speech: str, language: Language) -> bool | None:
    """True for "slower", False for "faster", None when the words are about something else."""
    words = heard_words(speech)
    if _said(words, language.say[Intent.SLOWER]):
        return True
    if _said(words, language.say[Intent.FASTER]):
        return False
    return None


def hints_for(node: Node, language: Language) -> tuple[str, ...]:
    """Words the speech recogniser should listen for at a node."""
    return (*_NODE_HINTS[node.kind](node, language), *language.hints)


def key_for_answer(speech: str, language: Language) -> str | None:
    """Yes or no said to a question that is not a node of its own (whether the call helped)."""
    return _yes_or_no(heard_words(speech), language)
