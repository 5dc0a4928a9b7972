"""The JSON Schemas shipped with the package, and their errors as problems with file and line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from ivr.content.problems import Problem
from ivr.content.yamlsource import LocatedDict

SCHEMA_DIR = Path(__file__).parent / "schema"


@cache
def schema(name: str) -> dict[str, Any]:
    """One of the JSON Schemas shipped with the package (flow or prompts)."""
    text = (SCHEMA_DIR / f"{name}.schema.json").read_text("utf-8")
    result: dict[str, Any] = json.loads(text)
    return result


# A validator each schema, made once: the prompts schema alone checks every node and file.
_VALIDATORS: dict[int, jsonschema.Draft202012Validator] = {}


def _validator(schema_doc: Mapping[str, Any]) -> jsonschema.Draft202012Validator:
    found = _VALIDATORS.get(id(schema_doc))
    if found is None or found.schema is not schema_doc:  # an id reused by another schema
        found = _VALIDATORS[id(schema_doc)] = jsonschema.Draft202012Validator(schema_doc)
    return found


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


def schema_problems(
    document: Any, schema_doc: Mapping[str, Any], file: str, node: str = "", line: int = 0
) -> list[Problem]:
    """Every way the document breaks its schema; `line` is where the whole of it starts."""
    validator = _validator(schema_doc)
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
                hint or "see ivr/content/schema/ for what is allowed here",
                node,
            )
        )
    return found
