"""The rules that read prompts as words: what the voice says, safety, honesty about hours, choices.

The words each rule looks for are data (data/wording/<language>.yaml), so a content editor can add
to them and another language brings its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import combinations, pairwise
from pathlib import Path
from types import MappingProxyType

from ivr.content.hours import Hours, nurse_hours_sentence, parse_hours
from ivr.content.model import (
    MAIN_MENU_KEY,
    OPENS,
    SAFETY_PROMPT,
    ChoiceNode,
    Flow,
    MenuNode,
    Node,
    Prompt,
    PromptBook,
)
from ivr.content.problems import Problem, ProblemList
from ivr.content.prompts import RawPrompt
from ivr.content.validation import schema, schema_problems
from ivr.content.yamlsource import LocatedDict, load_yaml

WORDING_DIR = Path("data") / "wording"
# Years are read well ("two thousand and twenty-three"); other numbers of 3+ digits are not.
_NUMBER = re.compile(r"(?<![\w-])\d{3,}(?![\w-])")
_YEAR = re.compile(r"^(19|20)\d\d$")
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Hours used to try {nurse_hours} as a caller might hear it when the line keeps set hours.
_SAMPLE_HOURS = "Mon-Fri 09:00-17:00"


@dataclass(frozen=True, slots=True)
class Avoid:
    """A phrase to avoid, why, and what to say instead."""

    phrase: str
    why: str
    instead: str


@dataclass(frozen=True)
class Wording:
    """The words the rules look for in one language's prompts."""

    file: str
    say_as: Mapping[str, str]
    safety_signs: tuple[str, ...]
    always: tuple[str, ...]
    person: tuple[str, ...]
    open: tuple[str, ...]
    closed: tuple[str, ...]
    main_menu: str
    press: str
    label_stop_words: frozenset[str]
    avoid: tuple[Avoid, ...]
    skip: Mapping[str, str] = field(default_factory=dict)  # rule -> why this language lacks it


def load_wording(root: Path, language: str, problems: ProblemList) -> Wording | None:
    """Read data/wording/<language>.yaml; every problem names its line."""
    path = root / WORDING_DIR / f"{language}.yaml"
    file = str(WORDING_DIR / f"{language}.yaml")
    if not path.exists():
        problems.add(
            Problem(
                file,
                0,
                "is missing: the content checks need the words they look for",
                f"copy data/wording/en-GB.yaml to {file} and write its lists in {language}",
            )
        )
        return None
    document = load_yaml(path, problems, root)
    if document is None:
        return None
    found = schema_problems(document, schema("wording"), file)
    for problem in found:
        problems.add(problem)
    if found or not isinstance(document, LocatedDict):
        return None
    return Wording(
        file=file,
        say_as=MappingProxyType(dict(document["say_as"])),
        safety_signs=tuple(document["safety_signs"]),
        always=tuple(document["always"]),
        person=tuple(document["person"]),
        open=tuple(document["open"]),
        closed=tuple(document["closed"]),
        main_menu=document["main_menu"],
        press=document["press"],
        label_stop_words=frozenset(w.lower() for w in document["label_stop_words"]),
        avoid=tuple(Avoid(a["phrase"], a["why"], a["instead"]) for a in document["avoid"]),
        skip=MappingProxyType(
            {k: " ".join(v.split()) for k, v in document.get("skip", {}).items()}
        ),
    )


# ---------------------------------------------------------------- matching words


@cache
def _pattern(phrase: str, case: bool = False) -> re.Pattern[str]:
    """The phrase as whole words, however many spaces stand between them."""
    words = r"\s+".join(re.escape(w) for w in phrase.split())
    return re.compile(rf"(?<![\w-]){words}(?![\w-])", 0 if case else re.IGNORECASE)


def _found(text: str, phrases: Iterable[str], case: bool = False) -> list[str]:
    return [p for p in phrases if _pattern(p, case).search(text)]


def sentences(text: str) -> list[str]:
    """The sentences of a prompt, as a listener hears them."""
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def stem(word: str) -> str:
    """A rough stem, so that "planned", "planning" and "plan" match, and "talks" and "talk"."""
    word = word.lower().removesuffix("'s")
    for ending in ("ing", "ed", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # "plann" -> "plan", "putt" -> "put"
    return word


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("-", " "))


# ---------------------------------------------------------------- rules at start-up


def check_text(
    prompts: PromptBook,
    raw: Mapping[str, RawPrompt],
    vocabulary: Callable[[str], str],
    hours: Hours,
    wording: Wording,
    problems: ProblemList,
) -> None:
    """The rules about what callers hear that the helpline will not start without."""
    for prompt in prompts.prompts.values():
        _check_say_as(prompt, wording, problems)
        _check_safety_words(prompt, wording, problems)
        _check_main_menu_words(prompt, wording, problems)
    for raw_prompt in raw.values():
        _check_honest_hours(raw_prompt, wording, problems)
    _check_open_or_closed(raw, vocabulary, hours, wording, problems)


def _problem(prompt: Prompt | RawPrompt, message: str, hint: str, rule: str) -> Problem:
    return Problem(prompt.file, prompt.line, f"prompt {prompt.id} {message}", hint, rule=rule)


def _check_say_as(prompt: Prompt, wording: Wording, problems: ProblemList) -> None:
    """The voice says the spoken form: numbers and names it gets wrong must be in words."""
    for number in _NUMBER.findall(prompt.spoken):
        if _YEAR.match(number):
            continue
        said = wording.say_as.get(number, "the number in words, in groups")
        problems.add(
            _problem(
                prompt,
                f"has the number {number} in what the voice says, which reads it as one big number",
                f"give the prompt a spoken form that says {said!r}",
                "say-as",
            )
        )
    for written in _found(prompt.spoken, (w for w in wording.say_as if not w.isdigit()), True):
        problems.add(
            _problem(
                prompt,
                f"has {written!r} in what the voice says, which it gets wrong",
                f"give the prompt a spoken form that says {wording.say_as[written]!r} "
                f"(the words are in {wording.file})",
                "say-as",
            )
        )


def _check_safety_words(prompt: Prompt, wording: Wording, problems: ProblemList) -> None:
    """Safety advice is the one message, written once: no prompt gives its own version."""
    if prompt.id == SAFETY_PROMPT:
        return
    signs = _found(prompt.text, wording.safety_signs)
    if signs:
        problems.add(
            _problem(
                prompt,
                f"gives safety advice in words of its own ({', '.join(map(repr, signs))})",
                f"take the advice out and play {SAFETY_PROMPT}, the one safety message, here",
                "safety-message",
            )
        )


def _check_main_menu_words(prompt: Prompt, wording: Wording, problems: ProblemList) -> None:
    """A sentence that names the main menu names its key, the same everywhere."""
    key = re.compile(rf"\b{re.escape(wording.press)}\s+(\d)\b", re.IGNORECASE)
    for sentence in sentences(prompt.text):
        if not _found(sentence, (wording.main_menu,)):
            continue
        for found in key.findall(sentence):
            if found != MAIN_MENU_KEY:
                problems.add(
                    _problem(
                        prompt,
                        f"puts the {wording.main_menu} on {found}; it is on "
                        f"{MAIN_MENU_KEY} everywhere",
                        f"say {wording.press} {MAIN_MENU_KEY}, or play main.return",
                        "main-menu-key",
                    )
                )


def _check_honest_hours(prompt: RawPrompt, wording: Wording, problems: ProblemList) -> None:
    """Only {nurse_hours} says when someone is there: no sentence promises it at all hours. (The
    hours words, which alone may say "at any time", are not among the prompts checked.)"""
    for sentence in sentences(prompt.text):
        promised = _found(sentence, wording.always)
        if promised and _found(sentence, wording.person):
            problems.add(
                _problem(
                    prompt,
                    f"promises someone is there {promised[0]!r}, whatever the hours",
                    'say how to reach a person ("press 0 at any point in this call") and let '
                    "{nurse_hours} say when the nurses are there",
                    "honest-hours",
                )
            )


def _check_open_or_closed(
    raw: Mapping[str, RawPrompt],
    vocabulary: Callable[[str], str],
    hours: Hours,
    wording: Wording,
    problems: ProblemList,
) -> None:
    """With the nurse line open always, never or at set hours, no sentence is both."""
    set_hours = hours if hours.rules else parse_hours(_SAMPLE_HOURS)
    variants = {
        "always": nurse_hours_sentence(parse_hours("always"), vocabulary),
        "never": nurse_hours_sentence(parse_hours("never"), vocabulary),
        "set hours": nurse_hours_sentence(set_hours, vocabulary),
    }
    for prompt in raw.values():
        tried = (
            {k: prompt.text.replace("{nurse_hours}", v) for k, v in variants.items()}
            if "{nurse_hours}" in prompt.text
            else {"": prompt.text}
        )
        for hours_name, text in tried.items():
            both = [
                s for s in sentences(text) if _found(s, wording.open) and _found(s, wording.closed)
            ]
            if both:
                when = f" when NURSE_LINE_HOURS is {hours_name}" if hours_name else ""
                problems.add(
                    _problem(
                        prompt,
                        f"says a line is open and closed in one sentence{when}: {both[0]!r}",
                        "say one thing a sentence: {nurse_hours} is a sentence of its own "
                        "(hours.nurse_open, hours.nurse_always, hours.nurse_never)",
                        "open-or-closed",
                    )
                )
                break


# ---------------------------------------------------------------- editorial rules (ivr check)


def check_editorial(
    flow: Flow, prompts: PromptBook, wording: Wording, problems: ProblemList
) -> None:
    """Rules of style that `ivr check` applies, beside readability: start-up does not. A rule
    the language's wording skips (`skip:`) is not applied; `ivr check` reports it."""
    for prompt in prompts.prompts.values():
        for avoid in () if "avoid-phrase" in wording.skip else wording.avoid:
            if _found(prompt.text, (avoid.phrase,)):
                problems.add(
                    _problem(
                        prompt,
                        f"says {avoid.phrase!r}: {avoid.why}",
                        f"say {avoid.instead}",
                        "avoid-phrase",
                    )
                )
    for node in flow.nodes.values():
        if isinstance(node, ChoiceNode):
            _check_labels(flow, node, prompts, wording, problems)


@dataclass(frozen=True, slots=True)
class Label:
    """One choice as said: "To hear how to get one, press 2." and the prompt that says it."""

    key: str
    text: str
    prompt: Prompt


def labels(node: ChoiceNode, prompts: PromptBook, press: str) -> list[Label]:
    """The sentences that offer the node's numbered options, by key."""
    keys = {o.key for o in node.options}
    ending = re.compile(rf",?\s*{re.escape(press)}\s+(\d)\.?$", re.IGNORECASE)
    found = []
    for prompt_id in node.said_choices():
        if prompt_id not in prompts:
            continue
        prompt = prompts[prompt_id]
        for sentence in sentences(prompt.text):
            match = ending.search(sentence)
            if match and match[1] in keys:
                found.append(Label(match[1], sentence[: match.start()].strip(), prompt))
    return found


def _content_words(text: str, stop: frozenset[str]) -> list[str]:
    return [w for w in _words(text) if w not in stop]


def _sentences_at(
    flow: Flow, node: Node, prompts: PromptBook, depth: int = 1
) -> list[frozenset[str]]:
    """The words of each sentence said, and of the title, where a choice leads (a menu: and
    one step on), as stems."""
    ids = [i for i in node.prompt_ids() if not i.startswith(OPENS) and i in prompts]
    texts = [node.title, *(s for i in ids for s in sentences(prompts[i].text))]
    found = [frozenset(stem(w) for w in _words(text)) for text in texts]
    if isinstance(node, MenuNode) and depth:
        for target in node.targets():
            if target in flow.nodes:
                found += _sentences_at(flow, flow.nodes[target], prompts, depth - 1)
    return found


def _check_labels(
    flow: Flow, node: ChoiceNode, prompts: PromptBook, wording: Wording, problems: ProblemList
) -> None:
    found = labels(node, prompts, wording.press)
    stop = wording.label_stop_words
    for label in () if "labels-lead-there" in wording.skip else found:
        option = node.option(label.key)
        target = flow.nodes.get(option.to) if option else None
        if target is None:
            continue
        said = _sentences_at(flow, target, prompts)
        there = frozenset().union(*said)
        words = _content_words(label.text, stop)
        stems = {stem(w) for w in words}
        missing = [w for w in words if stem(w) not in there]
        # A choice of two words or more is about them together ("how to ask for a referral"):
        # somewhere there, a sentence says two of them.
        apart = not missing and len(stems) > 1 and not any(len(stems & s) > 1 for s in said)
        if missing or apart:
            never = (
                f"never says {', '.join(map(repr, missing))}"
                if missing
                else f"never says two of {', '.join(map(repr, words))} in one sentence"
            )
            problems.add(
                Problem(
                    label.prompt.file,
                    label.prompt.line,
                    f"the choice {label.text!r} ({wording.press} {label.key}) leads to "
                    f"{target.id} ({target.title!r}), which {never}",
                    "make the choice say what is there, or say it there",
                    node.id,
                    rule="labels-lead-there",
                )
            )
    for first, second in () if "labels-apart" in wording.skip else combinations(found, 2):
        shared = _bigrams(first.text, stop) & _bigrams(second.text, stop)
        if shared and first.key != second.key:
            phrase = " ".join(sorted(shared)[0])
            problems.add(
                Problem(
                    second.prompt.file,
                    second.prompt.line,
                    f"the choices for {first.key} and {second.key} both say {phrase!r}",
                    "tell the choices apart by what each leads to",
                    node.id,
                    rule="labels-apart",
                )
            )


def _bigrams(text: str, stop: frozenset[str]) -> set[tuple[str, str]]:
    words = [stem(w) for w in _content_words(text, stop)]
    return set(pairwise(words))
