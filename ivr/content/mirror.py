"""Every language mirrors the first (the one calls start in): each prompt id it has, with the
same placeholders in the text and in the spoken form, and each key of its language.yaml."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ivr.content.language import LANGUAGE_FILE, PROMPTS_DIR
from ivr.content.model import ChoiceNode, Flow
from ivr.content.problems import Problem, ProblemList
from ivr.content.prompts import RawPrompt, placeholders
from ivr.content.yamlsource import LocatedDict, load_yaml


def check_mirror(
    first: str,
    first_raw: Mapping[str, RawPrompt],
    code: str,
    raw: Mapping[str, RawPrompt],
    problems: ProblemList,
) -> bool:
    """Every prompt of the first language is in this one, with the same placeholders; say
    whether every prompt is there (the checks that play them need them all)."""
    complete = True
    for prompt_id, source in first_raw.items():
        found = raw.get(prompt_id)
        if found is None:
            complete = False
            problems.add(_missing(prompt_id, source, code, raw))
            continue
        for form in ("text", "spoken"):
            want, have = _names(getattr(source, form)), _names(getattr(found, form))
            if want is None or have is None or want == have:
                continue  # a broken { is reported where the prompts are filled
            if form == "spoken" and source.text == source.spoken and found.text == found.spoken:
                continue  # one form written: named once, for the text
            problems.add(
                Problem(
                    found.file,
                    found.line,
                    f"prompt {prompt_id} uses {_listed(have)} in its {form}, where {first} "
                    f"({source.file}:{source.line}) uses {_listed(want)}",
                    f"write its {form} with exactly {_listed(want)}, as {first} does",
                    rule="mirror",
                )
            )
    return complete


def _names(text: str) -> frozenset[str] | None:
    try:
        return frozenset(placeholders(text))
    except ValueError:
        return None


def _listed(names: frozenset[str]) -> str:
    return ", ".join(f"{{{n}}}" for n in sorted(names)) or "no {placeholders}"


def _missing(prompt_id: str, source: RawPrompt, code: str, raw: Mapping[str, RawPrompt]) -> Problem:
    """A prompt this language lacks: named in the file it belongs in, after the last of that
    file's prompts the language has (line 0 where it has none)."""
    stem, key = prompt_id.split(".", 1)
    file = f"{PROMPTS_DIR}/{code}/{stem}.yaml"
    lines = [p.line for p in raw.values() if p.file == file]
    return Problem(
        file,
        max(lines, default=0),
        f"has no prompt {prompt_id}, which the first language has ({source.file}:{source.line})",
        f"add `{key}:` to {file}, written in {code}",
        rule="mirror",
    )


def check_language_keys(root: Path, first: str, code: str, problems: ProblemList) -> None:
    """Every key of the first language's language.yaml is in this one's (keys_said: "3" too),
    named at the line of the mapping it belongs in."""
    quiet = ProblemList()  # either file's own problems are named where it is loaded
    want = load_yaml(root / PROMPTS_DIR / first / LANGUAGE_FILE, quiet, root)
    have = load_yaml(root / PROMPTS_DIR / code / LANGUAGE_FILE, quiet, root)
    if not isinstance(want, LocatedDict) or not isinstance(have, LocatedDict):
        return
    file = f"{PROMPTS_DIR}/{code}/{LANGUAGE_FILE}"
    for path, line in _key_paths(want):
        mapping, where = _walk(have, path[:-1])
        if mapping is not None and path[-1] not in mapping:
            problems.add(
                Problem(
                    file,
                    where,
                    f"has no {': '.join(repr(k) for k in path)}, which {first}'s "
                    f"{LANGUAGE_FILE} has (line {line})",
                    f"add {path[-1]!r} under {path[-2] if len(path) > 1 else 'the top'}, "
                    f"with its words in {code}",
                    rule="mirror",
                )
            )


def _key_paths(document: LocatedDict, above: tuple[str, ...] = ()) -> Iterator[tuple[Any, int]]:
    for key, value in document.items():
        yield (*above, key), document.line_of(key)
        if isinstance(value, LocatedDict):
            yield from _key_paths(value, (*above, key))


def _walk(document: LocatedDict, path: tuple[str, ...]) -> tuple[LocatedDict | None, int]:
    """The mapping at path, and the line its key is on (0 for the top)."""
    line = 0
    mapping: Any = document
    for key in path:
        if not isinstance(mapping, LocatedDict) or key not in mapping:
            return None, 0  # the parent is missing: named for the parent
        line = mapping.line_of(key)
        mapping = mapping[key]
    return (mapping, line) if isinstance(mapping, LocatedDict) else (None, 0)


def check_flow_words(flow: Flow, code: str, root: Path, problems: ProblemList) -> None:
    """A language the flow is not written in gives, in its language.yaml, the words of every
    option (`choices:`) and the title of every part a caller can be sent to (`parts:`), and
    nothing for nodes or keys the flow does not have."""
    quiet = ProblemList()  # the file's own problems are named where it is loaded
    document = load_yaml(root / PROMPTS_DIR / code / LANGUAGE_FILE, quiet, root)
    if not isinstance(document, LocatedDict):
        return
    file = f"{PROMPTS_DIR}/{code}/{LANGUAGE_FILE}"
    choices, parts = _mapping(document, "choices"), _mapping(document, "parts")
    wanted = {
        node.id: {o.key for o in node.options if o.words}
        for node in flow.nodes.values()
        if isinstance(node, ChoiceNode) and any(o.words for o in node.options)
    }
    titled = {node.id: node.title for node in flow.nodes.values() if node.code}
    line = document.line_of("choices") if "choices" in document else 0
    for node_id, keys in wanted.items():
        have = choices.get(node_id) or {}
        for key in sorted(keys - set(have)):
            option = flow.nodes[node_id]
            problems.add(
                Problem(
                    file,
                    _line(choices, node_id, line),
                    f"choices: has no words for option {key} of {node_id}",
                    f'add under choices: {node_id}: "{key}": [...], the words a caller may '
                    f"say for it in {code} ({option.file} gives them in the flow's language)",
                    rule="mirror",
                )
            )
    for node_id, keys in choices.items():
        extra = sorted(set(keys) - wanted.get(node_id, set()))
        if extra:
            problems.add(
                Problem(
                    file,
                    _line(choices, node_id, 0),
                    f"choices: {node_id} gives words for {', '.join(extra)}, which the flow "
                    f"has no such option for",
                    "remove them, or add the option to the flow",
                    rule="mirror",
                )
            )
    line = document.line_of("parts") if "parts" in document else 0
    for node_id in sorted(set(titled) - set(parts)):
        problems.add(
            Problem(
                file,
                line,
                f"parts: has no title for {node_id} ({titled[node_id]!r})",
                f"add under parts: {node_id}: the title as callers hear it in {code}",
                rule="mirror",
            )
        )
    for node_id in sorted(set(parts) - set(titled)):
        problems.add(
            Problem(
                file,
                _line(parts, node_id, 0),
                f"parts: {node_id} is not a part callers can be sent to",
                "remove it: only nodes with an entry `code:` are named to callers",
                rule="mirror",
            )
        )


def _mapping(document: LocatedDict, key: str) -> dict[str, Any]:
    value = document.get(key)
    return value if isinstance(value, dict) else {}


def _line(mapping: dict[str, Any], key: str, default: int) -> int:
    return mapping.line_of(key) if isinstance(mapping, LocatedDict) and key in mapping else default
