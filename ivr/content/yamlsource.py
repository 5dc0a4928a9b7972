"""Read YAML safely, keeping the file and line of every value for error messages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ivr.content.problems import Problem, ProblemList


class Located(str):
    """A string from a YAML file that remembers where it was written."""

    file: str
    line: int

    def __new__(cls, value: str, file: str, line: int) -> Located:
        self = super().__new__(cls, value)
        self.file = file
        self.line = line
        return self


class LocatedDict(dict[str, Any]):
    """A YAML mapping that remembers its own line and the line of each key."""

    file: str = ""
    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line a key was written on, or the mapping's own line."""
        return self.key_lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps yes/no/on/off as strings and refuses duplicate keys."""

    file_name = ""
    problems: ProblemList


# YAML 1.1 reads yes/no/on/off as booleans and 2026-07-01 as a date; editors mean the text.
_AS_TEXT = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _AS_TEXT]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> Located:
    return Located(loader.construct_scalar(node), loader.file_name, node.start_mark.line + 1)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    result = LocatedDict()
    result.file = loader.file_name
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            loader.problems.add(
                Problem(
                    loader.file_name,
                    line,
                    f"the key {key!r} is not a quoted string",
                    f'write it in quotes: "{key}"',
                )
            )
            key = Located(str(key), loader.file_name, line)
        if key in result:
            loader.problems.add(
                Problem(
                    loader.file_name,
                    line,
                    f"the key {key!r} is written twice (first on line {result.key_lines[key]})",
                    "keep one of them; YAML would silently use only the last",
                )
            )
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


# The same, on libyaml's parser where PyYAML has it (its wheels do): several times faster, with
# the same nodes and marks. Its syntax errors say less, so a file it refuses is read again by
# the pure-Python parser for the message an editor sees.
class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    file_name = ""
    problems: ProblemList


_FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
_FastLoader.yaml_constructors = _Loader.yaml_constructors

# An unquoted phone key such as `#: ...` or `# : ...` is read as a comment and lost.
_LOST_HASH_KEY = re.compile(r"^\s*#\s*:\s*\S")


def load_yaml(path: Path, problems: ProblemList, root: Path | None = None) -> Any:
    """Parse one YAML file; problems go into `problems`, and None comes back on a syntax error."""
    name = str(path.relative_to(root)) if root else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.add(Problem(name, 0, f"cannot be read: {error}", "check the file exists as UTF-8"))
        return None
    for number, written in enumerate(text.splitlines(), start=1):
        if _LOST_HASH_KEY.match(written):
            problems.add(
                Problem(
                    name,
                    number,
                    "this line looks like a key for # but an unquoted # starts a comment",
                    'write the key in quotes: "#"',
                )
            )
    try:
        document = _parse(_FastLoader, text, name, problems)
    except yaml.MarkedYAMLError:
        try:  # the pure-Python parser says more of what is wrong, and where
            document = _parse(_Loader, text, name, problems)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark
            line = mark.line + 1 if mark else 0
            hint = "check the indentation and quoting here"
            said = f"{error.context} {error.problem}"
            if "alias" in said or "anchor" in said:
                hint = 'put phone keys in quotes: "*", "#"'
            problems.add(Problem(name, line, f"is not valid YAML: {error.problem}", hint))
            return None
    if document is None:
        problems.add(Problem(name, 1, "is empty", "add its content, or delete the file"))
    return document


def _parse(kind: type[_Loader], text: str, name: str, problems: ProblemList) -> Any:
    loader = kind(text)
    loader.file_name = name
    loader.problems = problems
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
