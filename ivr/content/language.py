"""The words of a language that are not prompts, from prompts/<language>/language.yaml: what
callers may say instead of a key, the recogniser's hints, how prompts name the keys, and what
the Fallback URL says if even the prompts cannot be read.

A language is a folder under prompts/, named as Twilio names the language (en-GB). The helpline
finds its languages by their folders, so another one needs only a folder of YAML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ivr.content.model import PromptBook
from ivr.content.problems import Problem, ProblemList
from ivr.content.validation import schema, schema_problems
from ivr.content.yamlsource import LocatedDict, load_yaml

PROMPTS_DIR = "prompts"
LANGUAGE_FILE = "language.yaml"  # in each language's folder, beside its prompt files
_HEARD_WORD = re.compile(r"(?:[^\W_]|')+")


class Intent(StrEnum):
    """What a caller's words can mean wherever they are: the lists under `say:`."""

    OPERATOR = "operator"
    MAIN_MENU = "main_menu"
    REPEAT = "repeat"
    BACK = "back"
    YES = "yes"
    NO = "no"
    SLOWER = "slower"
    FASTER = "faster"


# The words of the keys that work in every node (not yes and no, which answer a question, nor
# the pace, which is heard before anything else).
EVERYWHERE = (Intent.OPERATOR, Intent.MAIN_MENU, Intent.REPEAT, Intent.BACK)


def heard_words(text: str) -> list[str]:
    """What was said as the matching hears it: words in lower case, split at anything but
    letters, digits and apostrophes."""
    return _HEARD_WORD.findall(text.lower())


def has_phrase(words: list[str], phrase: str) -> bool:
    """Whether the phrase's words stand together, in order, among the words heard."""
    wanted = phrase.split()
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


@dataclass(frozen=True, slots=True)
class LastResort:
    """What the Fallback says when even the prompts cannot be read: sorry, then the safety
    message (the same words as safety.message's spoken form)."""

    sorry: str
    safety: str
    file: str
    line: int


@dataclass(frozen=True)
class Language:
    """One language's own words, checked and frozen."""

    code: str  # the folder's name, and <Say> and <Gather>'s language
    file: str
    say: Mapping[Intent, tuple[str, ...]]
    keys_said: Mapping[str, str]  # a word said for a key on its own (or its digit) -> the key
    hints: tuple[str, ...]  # for the recogniser everywhere, besides the words of the choices
    yes_no_hints: tuple[str, ...]
    key_names: Mapping[str, str]  # how prompts name each key after "press": "*" -> "star"
    last_resort: LastResort
    render_voice: str  # espeak-ng's voice for the recordings (cel/cy)
    say_voice: str  # Twilio's <Say> voice where a recording is missing
    names: Mapping[str, str]  # each language's name in this one, by code
    service_name: str  # the helpline's name in this language ({service}); "": SERVICE_NAME's
    # In a language the flow is not written in: the options' words and the nodes' titles.
    choices: Mapping[str, Mapping[str, tuple[str, ...]]]
    parts: Mapping[str, str]

    def option_words(self, node: str, key: str, own: tuple[str, ...]) -> tuple[str, ...]:
        """What a caller may say for an option: this language's words, else the flow's own."""
        return self.choices.get(node, {}).get(key, own)

    def part(self, node: str, title: str) -> str:
        """A node's title as callers hear it in this language, else the flow's own."""
        return self.parts.get(node, title)

    def words_everywhere(self) -> frozenset[str]:
        """The words of the keys that work in every node: no choice may use them."""
        return frozenset(phrase for intent in EVERYWHERE for phrase in self.say[intent])


@dataclass(frozen=True)
class Languages:
    """The languages the helpline speaks, by code, with their prompts. Calls start in `first`,
    which a call's state names as "" so that its URLs stay as short as they can be."""

    first: str
    words: Mapping[str, Language]
    prompts: Mapping[str, PromptBook]

    def __getitem__(self, code: str) -> Language:
        return self.words[code or self.first]

    def book(self, code: str) -> PromptBook:
        """The prompts of a language ("" for the first)."""
        return self.prompts[code or self.first]

    def name_of(self, code: str, in_language: str = "") -> str:
        """A language's name as another says it (the first, unless named): "Welsh"."""
        return self[in_language].names.get(code or self.first, code or self.first)

    def order(self) -> tuple[str, ...]:
        """The languages offered: the first, then the others by code."""
        return (self.first, *sorted(self.others()))

    def in_state(self, code: str) -> str:
        """How a call's state names a language: "" for the first, and for one not offered."""
        return code if code in self.words and code != self.first else ""

    def following(self, code: str) -> str:
        """The language after this one (the first after the last): where 7 leads."""
        order = self.order()
        return order[(order.index(self[code].code) + 1) % len(order)]

    def others(self) -> frozenset[str]:
        """The languages a call's state names by their code."""
        return frozenset(self.words) - {self.first}


def language_codes(root: Path) -> tuple[str, ...]:
    """The languages under root: one folder each under prompts/."""
    folder = root / PROMPTS_DIR
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.name for p in folder.iterdir() if p.is_dir()))


def load_language(root: Path, code: str, problems: ProblemList) -> Language | None:
    """Read and check prompts/<code>/language.yaml; every problem names its line."""
    path = root / PROMPTS_DIR / code / LANGUAGE_FILE
    file = f"{PROMPTS_DIR}/{code}/{LANGUAGE_FILE}"
    if not path.exists():
        problems.add(
            Problem(
                file,
                0,
                "is missing: the helpline needs the words callers may say in this language",
                f"copy another language's {LANGUAGE_FILE} here and write its words in {code}",
            )
        )
        return None
    document = load_yaml(path, problems, root)
    if document is None:
        return None
    found = schema_problems(document, schema("language"), file)
    if not found and isinstance(document, LocatedDict):
        found = _word_problems(document, file)
    for problem in found:
        problems.add(problem)
    if found or not isinstance(document, LocatedDict):
        return None
    return _build(code, file, document)


def _phrase(value: str) -> str:
    return " ".join(value.lower().split())


def _build(code: str, file: str, document: LocatedDict) -> Language:
    say = {intent: tuple(map(_phrase, document["say"][intent])) for intent in Intent}
    keys_said: dict[str, str] = {}
    for key, words in document["keys_said"].items():
        keys_said.update({_phrase(word): key for word in words})
        if key.isdigit():
            keys_said[key] = key  # "2", as the recogniser may write a number it heard
    safety = document["last_resort"]["safety"]
    return Language(
        code=code,
        file=file,
        say=MappingProxyType(say),
        keys_said=MappingProxyType(keys_said),
        hints=tuple(document["hints"]["everywhere"]),
        yes_no_hints=tuple(document["hints"]["yes_no"]),
        key_names=MappingProxyType({k: _phrase(v) for k, v in document["key_names"].items()}),
        last_resort=LastResort(
            " ".join(document["last_resort"]["sorry"].split()),
            " ".join(safety.split()),
            file,
            getattr(safety, "line", 0),
        ),
        render_voice=document["voices"]["render"],
        say_voice=document["voices"]["say"],
        names=MappingProxyType(dict(document["names"])),
        service_name=" ".join(document.get("service_name", "").split()),
        choices=MappingProxyType(
            {
                node: MappingProxyType({k: tuple(map(_phrase, w)) for k, w in keys.items()})
                for node, keys in document.get("choices", {}).items()
            }
        ),
        parts=MappingProxyType(
            {n: " ".join(t.split()) for n, t in document.get("parts", {}).items()}
        ),
    )


def _word_problems(document: LocatedDict, file: str) -> list[Problem]:
    """Words that could never be heard as written, and words that mean two things."""
    found: list[Problem] = []
    lists = [
        *((f"say: {intent}", document["say"][intent]) for intent in Intent),
        *((f"keys_said: {key!r}", words) for key, words in document["keys_said"].items()),
        *(
            (f"choices: {node}: {key!r}", words)
            for node, keys in document.get("choices", {}).items()
            for key, words in keys.items()
        ),
    ]
    for where, words in lists:
        found += _unheard(words, where, file)
    found += _ambiguous(((f"say: {i}", document["say"][i]) for i in Intent), file)
    found += _ambiguous(((f"keys_said: {k!r}", w) for k, w in document["keys_said"].items()), file)
    return found


def _unheard(words: Iterable[Any], where: str, file: str) -> list[Problem]:
    return [
        Problem(
            file,
            getattr(word, "line", 0),
            f"{where}: {word!r} can never be heard as written",
            "write words with spaces between them: letters, digits and apostrophes only",
        )
        for word in words
        if heard_words(word) != _phrase(word).split()
    ]


def _ambiguous(lists: Iterable[tuple[str, Any]], file: str) -> list[Problem]:
    """The same words in two lists would mean two things: the caller would be guessed at."""
    seen: dict[str, str] = {}
    found = []
    for where, words in lists:
        for word in words:
            phrase = _phrase(word)
            if phrase in seen and seen[phrase] != where:
                found.append(
                    Problem(
                        file,
                        getattr(word, "line", 0),
                        f"{where}: {word!r} is also under {seen[phrase]}",
                        "keep each word in one list, so it means one thing",
                    )
                )
            seen.setdefault(phrase, where)
    return found
