"""Load prompts/<language>/*.yaml: what callers hear, by id, with placeholders filled."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ivr.content.hours import HOURS_PROMPTS
from ivr.content.language import LANGUAGE_FILE
from ivr.content.model import Prompt, PromptBook
from ivr.content.problems import Problem, ProblemList
from ivr.content.validation import schema, schema_problems
from ivr.content.yamlsource import LocatedDict, load_yaml

# Placeholders filled during a call, not at start-up: the part of the helpline the caller was
# in and their reasons, for the nurse's whisper; a caller's place in the queue and minutes.
DURING_CALL = ("part", "reasons", "position", "minutes", "language")
# Beside the prompts, and no prompts: the texts a caller can ask for (ivr.content.texts).
TEXTS_FILE = "texts.yaml"


@dataclass(frozen=True)
class RawPrompt:
    """A prompt as written, before its placeholders are filled."""

    id: str
    text: str
    spoken: str
    file: str
    line: int


def load_raw_prompts(prompt_dir: Path, problems: ProblemList, root: Path) -> dict[str, RawPrompt]:
    """Read every prompt file of one language; ids are '<file stem>.<key>'. The language's own
    words (language.yaml) and its texts (texts.yaml) are not prompts."""
    found: dict[str, RawPrompt] = {}
    others = (LANGUAGE_FILE, TEXTS_FILE)
    files = sorted(p for p in prompt_dir.glob("*.yaml") if p.name not in others)
    if not files:
        problems.add(Problem(str(prompt_dir), 0, "holds no prompt files", "add *.yaml files"))
    for path in files:
        document = load_yaml(path, problems, root)
        if document is None:
            continue
        file = str(path.relative_to(root))
        schema_found = schema_problems(document, schema("prompts"), file)
        for problem in schema_found:
            problems.add(problem)
        if schema_found or not isinstance(document, LocatedDict):
            continue
        for key, value in document.items():
            prompt_id = f"{path.stem}.{key}"
            text, spoken = (
                (value, value) if isinstance(value, str) else (value["text"], value["spoken"])
            )
            found[prompt_id] = RawPrompt(
                prompt_id,
                " ".join(text.split()),
                " ".join(spoken.split()),
                file,
                document.line_of(key),
            )
    return found


HOURS_FILE = "hours."


def check_vocabulary(
    vocabulary: Mapping[str, RawPrompt], problems: ProblemList, folder: str = ""
) -> bool:
    """The words for opening hours must all be there, each with its own {names}. A missing one
    is named in the hours file the others are in, or else in the language's `folder`."""
    before = len(problems.items)
    written = next(iter(vocabulary.values()), None)
    where = written.file if written is not None else f"{folder}/hours.yaml"
    for prompt_id, expected in HOURS_PROMPTS.items():
        found = vocabulary.get(prompt_id)
        if found is None:
            problems.add(
                Problem(
                    where,
                    0,
                    f"missing prompt {prompt_id}",
                    "add it: it is needed to say opening hours",
                )
            )
        elif _placeholders_or_none(found.text) != expected:
            names = ", ".join(f"{{{n}}}" for n in sorted(expected)) or "no {names}"
            problems.add(
                Problem(
                    found.file,
                    found.line,
                    f"prompt {prompt_id} must use {names}",
                    f"write it with exactly {names}",
                )
            )
    for prompt_id in sorted(set(vocabulary) - set(HOURS_PROMPTS)):
        problems.add(
            Problem(
                vocabulary[prompt_id].file,
                vocabulary[prompt_id].line,
                f"prompt {prompt_id} is not one of the hours words",
                "delete it; hours.yaml holds only the words for opening hours",
            )
        )
    return len(problems.items) == before


def _placeholders_or_none(text: str) -> frozenset[str] | None:
    try:
        return frozenset(placeholders(text))
    except ValueError:
        return None


def placeholders(text: str) -> set[str]:
    """The {names} a prompt expects to be filled."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def fill_prompts(
    raw: Mapping[str, RawPrompt],
    values: Mapping[str, str],
    problems: ProblemList,
    services: tuple[Mapping[str, object], Mapping[str, object]] = ({}, {}),
) -> PromptBook:
    """Fill {placeholders} from configuration and the services file ({scotland.number}: its
    written form in the text, its spoken form in the voice); those filled during a call stay;
    any other is a problem."""
    filled: dict[str, Prompt] = {}
    later = {name: f"{{{name}}}" for name in DURING_CALL}
    written, said = {**values, **services[0], **later}, {**values, **services[1], **later}
    for prompt in raw.values():
        try:
            names = placeholders(prompt.text) | placeholders(prompt.spoken)
        except ValueError as error:
            problems.add(
                Problem(
                    prompt.file,
                    prompt.line,
                    f"prompt {prompt.id}: {error}",
                    "a lone { or } must be written twice: {{ or }}",
                )
            )
            continue
        unknown = {name for name in names if name.split(".")[0] not in written}
        if unknown:
            usable = sorted([*values, *DURING_CALL, *(f"{s}.number" for s in services[0])])
            problems.add(
                Problem(
                    prompt.file,
                    prompt.line,
                    f"prompt {prompt.id} uses unknown placeholder(s) {sorted(unknown)}",
                    f"use only {usable}, or write braces as {{{{ and }}}}",
                )
            )
            continue
        unknown_values = [
            name
            for name in sorted(names)
            if "." in name
            and name.split(".")[0] in services[0]
            and not getattr(services[0][name.split(".")[0]], name.split(".", 1)[1], "?")
        ]
        if unknown_values:
            problems.add(
                Problem(
                    prompt.file,
                    prompt.line,
                    f"prompt {prompt.id} says {{{unknown_values[0]}}}, which data/services.yaml "
                    "does not give (null)",
                    "say it only for a service whose number and hours are known",
                )
            )
            continue
        try:
            text = prompt.text.format_map(written)
            spoken = prompt.spoken.format_map(said)
        except (ValueError, IndexError, AttributeError) as error:
            problems.add(
                Problem(
                    prompt.file,
                    prompt.line,
                    f"prompt {prompt.id}: {error}",
                    "a service has .name, .number and .hours; check the { and }",
                )
            )
            continue
        filled[prompt.id] = Prompt(prompt.id, text, spoken, prompt.file, prompt.line)
    return PromptBook(MappingProxyType(filled))
