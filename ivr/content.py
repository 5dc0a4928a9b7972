"""Load flows/*.yaml and prompts/<language>/*.yaml into frozen objects, reporting every problem."""

from __future__ import annotations

import datetime as dt
import json
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema

from ivr.checks import check_flow, check_readability, check_review_date
from ivr.hours import HOURS_PROMPTS, Hours, spoken_hours
from ivr.model import (
    NODE_KINDS,
    Flow,
    Guidance,
    InfoNode,
    MenuNode,
    Node,
    Option,
    Prompt,
    PromptBook,
    QuestionNode,
    SummaryNode,
    TransferNode,
)
from ivr.problems import Problem, ProblemList
from ivr.yamlsource import LocatedDict, load_yaml

LANGUAGE = "en-GB"
SCHEMA_DIR = Path(__file__).parent / "schema"


@cache
def schema(name: str) -> dict[str, Any]:
    """One of the JSON Schemas shipped with the package (flow or prompts)."""
    text = (SCHEMA_DIR / f"{name}.schema.json").read_text("utf-8")
    result: dict[str, Any] = json.loads(text)
    return result


def _line_at(document: Any, path: Iterable[Any]) -> int:
    """The line of the deepest located value on a JSON path."""
    line = getattr(document, "line", 0)
    for step in path:
        if isinstance(document, LocatedDict) and isinstance(step, str):
            line = document.line_of(step)
        try:
            document = document[step]
        except (KeyError, IndexError, TypeError):
            break
        line = getattr(document, "line", line)
    return line


def _error_line(document: Any, error: jsonschema.ValidationError) -> int:
    """Where a schema error is: at the offending key itself when a key is the trouble."""
    mapping: Any = document
    for step in error.absolute_path:
        try:
            mapping = mapping[step]
        except (KeyError, IndexError, TypeError):
            break
    if isinstance(mapping, LocatedDict) and isinstance(error.schema, dict):
        if "propertyNames" in error.schema_path and isinstance(error.instance, str):
            return mapping.line_of(error.instance)
        if error.validator == "additionalProperties":
            allowed = set(error.schema.get("properties", {}))
            extra = [k for k in mapping if k not in allowed]
            if extra:
                return mapping.line_of(extra[0])
    return _line_at(document, error.absolute_path)


def _schema_problems(
    document: Any, schema_doc: Mapping[str, Any], file: str, node: str = "", line: int = 0
) -> list[Problem]:
    """Every way the document breaks its schema; `line` is where the whole of it starts."""
    validator = jsonschema.Draft202012Validator(schema_doc)
    found = []
    for error in validator.iter_errors(document):
        path = "/".join(str(p) for p in error.absolute_path)
        where = f"at {path}" if path else f"in node {node}" if node else "at the top level"
        at = _error_line(document, error)
        if not error.absolute_path and error.validator == "required" and line:
            at = line  # a field missing from the whole node: point at the node itself
        hint = error.schema.get("description") if isinstance(error.schema, dict) else None
        found.append(
            Problem(
                file,
                at,
                f"{where}: {error.message}",
                hint or "see ivr/schema/ for what is allowed here",
                node,
            )
        )
    return found


# ---------------------------------------------------------------- prompts


@dataclass(frozen=True)
class RawPrompt:
    """A prompt as written, before its placeholders are filled."""

    id: str
    text: str
    spoken: str
    file: str
    line: int


def load_raw_prompts(prompt_dir: Path, problems: ProblemList, root: Path) -> dict[str, RawPrompt]:
    """Read every prompt file of one language; ids are '<file stem>.<key>'."""
    found: dict[str, RawPrompt] = {}
    files = sorted(prompt_dir.glob("*.yaml"))
    if not files:
        problems.add(Problem(str(prompt_dir), 0, "holds no prompt files", "add *.yaml files"))
    for path in files:
        document = load_yaml(path, problems, root)
        if document is None:
            continue
        file = str(path.relative_to(root))
        schema_found = _schema_problems(document, schema("prompts"), file)
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


def check_vocabulary(vocabulary: Mapping[str, RawPrompt], problems: ProblemList) -> bool:
    """The words for opening hours must all be there, each with its own {names}."""
    before = len(problems.items)
    where = f"prompts/{LANGUAGE}/hours.yaml"
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
    raw: Mapping[str, RawPrompt], values: Mapping[str, str], problems: ProblemList
) -> PromptBook:
    """Fill {placeholders} from configuration; an unknown one is a problem."""
    filled: dict[str, Prompt] = {}
    for prompt in raw.values():
        try:
            unknown = (placeholders(prompt.text) | placeholders(prompt.spoken)) - set(values)
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
        if unknown:
            problems.add(
                Problem(
                    prompt.file,
                    prompt.line,
                    f"prompt {prompt.id} uses unknown placeholder(s) {sorted(unknown)}",
                    f"use only {sorted(values)}, or write braces as {{{{ and }}}}",
                )
            )
            continue
        try:
            text = prompt.text.format_map(values)
            spoken = prompt.spoken.format_map(values)
        except (ValueError, IndexError) as error:
            problems.add(
                Problem(
                    prompt.file,
                    prompt.line,
                    f"prompt {prompt.id}: {error}",
                    "check the { and } in this prompt",
                )
            )
            continue
        filled[prompt.id] = Prompt(prompt.id, text, spoken, prompt.file, prompt.line)
    return PromptBook(MappingProxyType(filled))


# ---------------------------------------------------------------- flows


def _ids(value: Any) -> tuple[str, ...]:
    """A prompt list may be written as one id or a list of ids."""
    return (value,) if isinstance(value, str) else tuple(value)


def _options(raw: Mapping[str, Any]) -> tuple[Option, ...]:
    return tuple(
        Option(
            str(key), raw[key]["to"], tuple(" ".join(w.lower().split()) for w in raw[key]["words"])
        )
        for key in sorted(raw)
    )


def _common(node_id: str, raw: LocatedDict) -> dict[str, Any]:
    return {
        "id": node_id,
        "title": raw["title"],
        "say": _ids(raw["say"]),
        "file": raw.file,
        "line": raw.line,
    }


_BUILDERS: Mapping[str, Callable[[str, LocatedDict], Node]] = {
    "menu": lambda i, r: MenuNode(**_common(i, r), options=_options(r["options"])),
    "info": lambda i, r: InfoNode(
        **_common(i, r), options=_options(r["options"]), choices=_ids(r["choices"])
    ),
    "question": lambda i, r: QuestionNode(
        **_common(i, r), records=r["records"], yes=r["yes"], no=r["no"]
    ),
    "summary": lambda i, r: SummaryNode(
        **_common(i, r),
        options=_options(r["options"]),
        answers=tuple(r["answers"].items()),
        none=r["none"],
        then=_ids(r["then"]),
    ),
    "transfer": lambda i, r: TransferNode(
        **_common(i, r), to=r["to"], closed=r["closed"], unavailable=r["unavailable"]
    ),
}
assert set(_BUILDERS) == set(NODE_KINDS)


def _node_schema(kind: str) -> dict[str, Any]:
    """The part of the flow schema for one kind of node, so errors speak of that kind only."""
    flow_schema = schema("flow")
    for branch in flow_schema["$defs"]["node"]["oneOf"]:
        kinds = branch["properties"]["kind"]
        if kind in kinds.get("enum", [kinds.get("const")]):
            common = flow_schema["$defs"]["node"]["required"]
            required = [*common, *(r for r in branch.get("required", []) if r not in common)]
            return {"$defs": flow_schema["$defs"], **branch, "required": required}
    raise KeyError(kind)


def _top_schema() -> dict[str, Any]:
    """The flow schema with nodes checked one by one elsewhere."""
    top = dict(schema("flow"))
    top["properties"] = {**top["properties"], "nodes": {"type": "object"}}
    return top


def load_flow(flow_dir: Path, problems: ProblemList, root: Path) -> Flow | None:
    """Read every flow file and build the Flow; None when it could not be built."""
    files = sorted(flow_dir.glob("*.yaml"))
    if not files:
        problems.add(Problem(str(flow_dir), 0, "holds no flow files", "add flows/helpline.yaml"))
        return None
    settings: dict[str, Any] = {}
    nodes: dict[str, Node] = {}
    ok = True
    unreadable = False
    top = _top_schema()
    required = top.pop("required")
    for path in files:
        document = load_yaml(path, problems, root)
        file = str(path.relative_to(root))
        if not isinstance(document, LocatedDict):
            if document is not None:
                problems.add(Problem(file, 1, "is not a mapping", "start with `nodes:`"))
            ok, unreadable = False, True
            continue
        found = _schema_problems(document, top, file)
        for key in document:
            if key != "nodes" and key in settings:
                found.append(
                    Problem(
                        file,
                        document.line_of(key),
                        f"`{key}` is also set in {settings[key][1]}",
                        "set it in one flow file only",
                    )
                )
            settings.setdefault(key, (document[key], file))
        for problem in found:
            problems.add(problem)
        ok = ok and not found
        raw_nodes = document.get("nodes")
        if isinstance(raw_nodes, LocatedDict):
            for node_id, raw in raw_nodes.items():
                line = raw_nodes.line_of(node_id)
                ok = _add_node(node_id, raw, file, line, nodes, problems) and ok
    for key in required:
        # A file that could not be read may well hold the setting: say nothing more of it.
        if key not in settings and not unreadable:
            problems.add(
                Problem(
                    str(files[0].relative_to(root)),
                    1,
                    f"no flow file sets `{key}`",
                    f"add `{key}:` to one flow file",
                )
            )
            ok = False
    if not ok:
        return None
    return _build_flow(settings, nodes, problems)


def _add_node(
    node_id: str, raw: Any, file: str, line: int, nodes: dict[str, Node], problems: ProblemList
) -> bool:
    if node_id in nodes:
        other = nodes[node_id]
        problems.add(
            Problem(
                file,
                line,
                f"node {node_id} is also defined in {other.file}:{other.line}",
                "rename one of them",
                node_id,
            )
        )
        return False
    kind = raw.get("kind") if isinstance(raw, LocatedDict) else None
    if not isinstance(kind, str) or kind not in NODE_KINDS:
        problems.add(
            Problem(
                file,
                line,
                f"kind {kind!r} is not one of {sorted(NODE_KINDS)}",
                "set `kind:` to one of those",
                node_id,
            )
        )
        return False
    found = _schema_problems(raw, _node_schema(kind), file, node_id, line)
    for problem in found:
        problems.add(problem)
    if found:
        return False
    nodes[node_id] = replace(_BUILDERS[kind](node_id, raw), line=line)
    return True


def _build_flow(
    settings: Mapping[str, Any], nodes: Mapping[str, Node], problems: ProblemList
) -> Flow | None:
    guidance_raw, file = settings["guidance"]
    try:
        guidance = Guidance(
            guidance_raw["source"],
            dt.date.fromisoformat(guidance_raw["reviewed"]),
            dt.date.fromisoformat(guidance_raw["next_review"]),
            file,
            guidance_raw.line_of("next_review"),
        )
    except ValueError as error:
        problems.add(
            Problem(file, guidance_raw.line, f"guidance date: {error}", "write dates as YYYY-MM-DD")
        )
        return None
    answer_ids = tuple(
        dict.fromkeys(n.records for n in nodes.values() if isinstance(n, QuestionNode))
    )
    return Flow(
        start=settings["start"][0],
        operator=settings["operator"][0],
        welcome=_ids(settings["welcome"][0]),
        guidance=guidance,
        nodes=MappingProxyType(dict(nodes)),
        answer_ids=answer_ids,
    )


# ---------------------------------------------------------------- both, checked


@dataclass(frozen=True)
class Content:
    """The flow and its prompts, loaded and checked; warnings do not stop the helpline."""

    flow: Flow
    prompts: PromptBook
    warnings: tuple[Problem, ...]


def collect_content(
    root: Path,
    service: str,
    hours: Hours,
    today: dt.date | None = None,
    readability: bool = True,
) -> tuple[Content | None, ProblemList]:
    """Load and check everything under root (flows/ and prompts/en-GB/), keeping every problem.

    Readability is for `ivr check` and the tests; start-up skips it, so a long SERVICE_NAME can
    lower a score without stopping the helpline.
    """
    problems = ProblemList()
    raw = load_raw_prompts(root / "prompts" / LANGUAGE, problems, root)
    vocabulary = {i: raw.pop(i) for i in list(raw) if i.startswith(HOURS_FILE)}
    hours_words = {i: p.text for i, p in vocabulary.items()}
    # The hours are only said once their words are known to be whole and well-formed.
    spoken = (
        spoken_hours(hours, hours_words.__getitem__)
        if check_vocabulary(vocabulary, problems)
        else ""
    )
    values = {"service": service, "nurse_hours": spoken}
    prompts = fill_prompts(raw, values, problems)
    flow = load_flow(root / "flows", problems, root)
    if flow is None or problems.errors():
        return None, problems
    check_flow(flow, prompts, problems)
    if readability:
        check_readability(prompts, problems)
    check_review_date(flow, today or dt.date.today(), problems)
    if problems.errors():
        return None, problems
    return Content(flow, prompts, tuple(problems.warnings())), problems


def load_content(root: Path, service: str, hours: Hours, today: dt.date | None = None) -> Content:
    """Load and check the content for start-up; raise ContentError naming every problem."""
    content, problems = collect_content(root, service, hours, today, readability=False)
    problems.raise_if_any()
    assert content is not None  # no errors means the content was built
    return content
