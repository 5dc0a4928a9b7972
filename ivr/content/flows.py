"""Load flows/*.yaml into the frozen Flow: nodes by kind, settings, and where each was written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ivr.content.model import (
    NODE_KINDS,
    CallbackNode,
    Flow,
    Guidance,
    InfoNode,
    MenuNode,
    Node,
    Option,
    QuestionNode,
    SummaryNode,
    TransferNode,
    VoicemailNode,
)
from ivr.content.problems import Problem, ProblemList
from ivr.content.validation import schema, schema_problems
from ivr.content.yamlsource import LocatedDict, load_yaml


def _ids(value: Any) -> tuple[str, ...]:
    """A prompt list may be written as one id or a list of ids."""
    return (value,) if isinstance(value, str) else tuple(value)


def _options(raw: Mapping[str, Any]) -> tuple[Option, ...]:
    return tuple(
        Option(
            str(key),
            raw[key]["to"],
            tuple(" ".join(w.lower().split()) for w in raw[key]["words"]),
            raw[key].get("offer", ""),
        )
        for key in sorted(raw)
    )


def _common(node_id: str, raw: LocatedDict, line: int) -> dict[str, Any]:
    """The fields every kind of node has; `line` is where the node's id is written."""
    return {
        "id": node_id,
        "title": raw["title"],
        "say": _ids(raw["say"]),
        "file": raw.file,
        "line": line,
        "code": str(raw.get("code", "")),
    }


_BUILDERS: Mapping[str, Callable[[str, LocatedDict, int], Node]] = {
    "menu": lambda i, r, n: MenuNode(**_common(i, r, n), options=_options(r["options"])),
    "info": lambda i, r, n: InfoNode(
        **_common(i, r, n), options=_options(r.get("options", {})), choices=_ids(r["choices"])
    ),
    "question": lambda i, r, n: QuestionNode(
        **_common(i, r, n), records=r["records"], label=r["label"], yes=r["yes"], no=r["no"]
    ),
    "summary": lambda i, r, n: SummaryNode(
        **_common(i, r, n),
        options=_options(r["options"]),
        answers=tuple(r["answers"].items()),
        none=r["none"],
        then=_ids(r["then"]),
        after=_ids(r.get("after", ())),
    ),
    "callback": lambda i, r, n: CallbackNode(
        **_common(i, r, n), booked=r["booked"], failed=r["failed"], privacy=r.get("privacy", "")
    ),
    "voicemail": lambda i, r, n: VoicemailNode(
        **_common(i, r, n), saved=r["saved"], failed=r["failed"], privacy=r.get("privacy", "")
    ),
    "transfer": lambda i, r, n: TransferNode(
        **_common(i, r, n),
        to=r["to"],
        closed=r["closed"],
        unavailable=r["unavailable"],
        closed_say=_ids(r.get("closed_say", ())),
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
        found = schema_problems(document, top, file)
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
    found = schema_problems(raw, _node_schema(kind), file, node_id, line)
    for problem in found:
        problems.add(problem)
    if found:
        return False
    nodes[node_id] = _BUILDERS[kind](node_id, raw, line)
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
        language=settings["language"][0] if "language" in settings else "",
        texts=MappingProxyType(dict(settings["texts"][0]) if "texts" in settings else {}),
        feedback=tuple(settings["feedback"][0]) if "feedback" in settings else (),
    )
