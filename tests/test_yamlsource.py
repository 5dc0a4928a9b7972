"""Tests for ivr.content.yamlsource: YAML read safely, with the file and line of every value and
key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ivr.content.problems import Problem, ProblemList
from ivr.content.yamlsource import Located, LocatedDict, load_yaml


def load(tmp_path: Path, text: str, name: str = "doc.yaml") -> tuple[Any, list[Problem]]:
    """Write text to tmp_path/name, load it with names relative to tmp_path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    problems = ProblemList()
    return load_yaml(path, problems, tmp_path), problems.items


def where(problems: list[Problem]) -> list[tuple[str, int, str, str]]:
    """Each problem as (file, line, message, hint), for comparing whole lists."""
    return [(p.file, p.line, p.message, p.hint) for p in problems]


def test_values_and_keys_remember_their_lines(tmp_path: Path) -> None:
    """Strings, mappings and keys all carry the file and the line they were written on."""
    document, problems = load(
        tmp_path,
        "# a comment\n"
        "start: main\n"
        "nodes:\n"
        "  main:\n"
        "    title: Main menu\n"
        "    say: [main.choices, main.more]\n",
    )
    assert problems == []
    assert isinstance(document, LocatedDict)
    assert (document.file, document.line) == ("doc.yaml", 2)
    assert document.key_lines == {"start": 2, "nodes": 3}
    start = document["start"]
    assert isinstance(start, Located)
    assert (start, start.file, start.line) == ("main", "doc.yaml", 2)
    main = document["nodes"]["main"]
    assert (main.line, main.line_of("title"), main.line_of("say")) == (5, 5, 6)
    assert [(s, s.line) for s in main["say"]] == [("main.choices", 6), ("main.more", 6)]
    keys = list(main)
    assert [(k, k.line) for k in keys] == [("title", 5), ("say", 6)]


def test_line_of_an_absent_key_is_the_mappings_own_line(tmp_path: Path) -> None:
    """Asking for a key that is not there gives the line where the mapping starts."""
    document, _ = load(tmp_path, "a: 1\nnode:\n  kind: menu\n")
    assert document["node"].line_of("options") == 3


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "NO", "y", "n"])
def test_yes_no_on_off_stay_words(tmp_path: Path, word: str) -> None:
    """YAML 1.1 booleans such as yes/no are kept as the words the editor wrote."""
    document, problems = load(tmp_path, f"{word}: {word}\n")
    assert problems == []
    assert document == {word: word}
    assert all(isinstance(item, str) for item in (*document, *document.values()))


@pytest.mark.parametrize("date", ["2026-07-01", "2026-7-1", "2026-07-01 10:00:00"])
def test_dates_stay_text(tmp_path: Path, date: str) -> None:
    """An unquoted date is kept as the text written, not turned into a date object."""
    document, problems = load(tmp_path, f"guidance:\n  next_review: {date}\n")
    assert problems == []
    value = document["guidance"]["next_review"]
    assert (type(value), value, value.line) == (Located, date, 2)


@pytest.mark.parametrize(("text", "value"), [("true", True), ("false", False)])
def test_true_and_false_are_still_booleans(tmp_path: Path, text: str, value: bool) -> None:
    """Only true and false are read as booleans."""
    document, _ = load(tmp_path, f"flag: {text}\n")
    assert document["flag"] is value


def test_duplicate_key_is_reported_with_both_lines(tmp_path: Path) -> None:
    """A key written twice in one mapping is a problem on the second line, naming the first."""
    _, problems = load(
        tmp_path,
        "main:\n  kind: menu\n  title: Main\n  kind: info\n",
    )
    assert where(problems) == [
        (
            "doc.yaml",
            4,
            "the key 'kind' is written twice (first on line 2)",
            "keep one of them; YAML would silently use only the last",
        )
    ]


@pytest.mark.parametrize("key", ["1", "2", "0", "4"])
def test_unquoted_number_key_is_not_a_quoted_string(tmp_path: Path, key: str) -> None:
    """An unquoted phone key such as 1: is read as a number; the problem says to quote it."""
    document, problems = load(
        tmp_path,
        'options:\n  "9": {to: a}\n' + f"  {key}: {{to: main}}\n",
    )
    assert where(problems) == [
        ("doc.yaml", 3, f"the key {key} is not a quoted string", f'write it in quotes: "{key}"')
    ]
    # The key is kept as text so that later checks can still speak about it.
    assert list(document["options"]) == ["9", key]
    assert document["options"].line_of(key) == 3


def test_unquoted_star_key_asks_for_quotes(tmp_path: Path) -> None:
    """An unquoted * key is a YAML alias error whose hint says to put phone keys in quotes."""
    document, problems = load(
        tmp_path,
        'options:\n  "1": {to: main}\n  *: {to: back}\n',
    )
    assert document is None
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.file, problem.line) == ("doc.yaml", 3)
    assert problem.message.startswith("is not valid YAML: ")
    assert problem.hint == 'put phone keys in quotes: "*", "#"'


def test_undefined_alias_asks_for_quotes(tmp_path: Path) -> None:
    """A value starting with * (an alias nobody defined) gets the quoting hint too."""
    _, problems = load(tmp_path, "a: 1\nback: *star\n")
    assert where(problems) == [
        (
            "doc.yaml",
            2,
            "is not valid YAML: found undefined alias 'star'",
            'put phone keys in quotes: "*", "#"',
        )
    ]


@pytest.mark.parametrize("line", ["  #: {to: main}", "  # : {to: main}", "#:main"])
def test_lost_hash_key_is_reported(tmp_path: Path, line: str) -> None:
    """A line like `#: ...` is a comment to YAML, so the key is lost; the problem says so."""
    document, problems = load(tmp_path, f'options:\n  "1": {{to: a}}\n{line}\nend: 1\n')
    assert where(problems) == [
        (
            "doc.yaml",
            3,
            "this line looks like a key for # but an unquoted # starts a comment",
            'write the key in quotes: "#"',
        )
    ]
    assert document["options"] == {"1": {"to": "a"}}


@pytest.mark.parametrize(
    "line",
    [
        "# yaml-language-server: $schema=../ivr/content/schema/flow.schema.json",
        "# a note: with a colon later",
        "#",
        'hash: "#: in quotes"',
        '"#": {to: main}',
    ],
)
def test_ordinary_comments_and_quoted_hash_are_not_lost_keys(tmp_path: Path, line: str) -> None:
    """Comments and a quoted "#" key are not mistaken for a lost # key."""
    _, problems = load(tmp_path, f"{line}\na: 1\n")
    assert problems == []


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("a: [1, 2\nb: 3\n", 2, "expected ',' or ']', but got ':'"),
        ("a: b\n  c: d\n", 2, "mapping values are not allowed here"),
        ('a: 1\nb: "unclosed\n', 3, "found unexpected end of stream"),
    ],
    ids=["unclosed-list", "bad-indent", "unclosed-quote"],
)
def test_syntax_error_names_the_line(tmp_path: Path, text: str, line: int, problem: str) -> None:
    """A YAML syntax error gives no document and one problem on the line where it was found."""
    document, problems = load(tmp_path, text)
    assert document is None
    assert where(problems) == [
        (
            "doc.yaml",
            line,
            f"is not valid YAML: {problem}",
            "check the indentation and quoting here",
        )
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# to be written\n", "---\n"])
def test_empty_or_comment_only_file_is_empty(tmp_path: Path, text: str) -> None:
    """A file with no content is one problem on line 1, naming it as empty."""
    document, problems = load(tmp_path, text)
    assert document is None
    assert where(problems) == [("doc.yaml", 1, "is empty", "add its content, or delete the file")]


def test_file_that_is_not_utf8_cannot_be_read(tmp_path: Path) -> None:
    """A file that is not UTF-8 is one problem for the whole file, not a crash."""
    path = tmp_path / "latin.yaml"
    path.write_bytes("caf\xe9: open\n".encode("latin-1"))
    problems = ProblemList()
    assert load_yaml(path, problems, tmp_path) is None
    assert [(p.file, p.line, p.hint) for p in problems.items] == [
        ("latin.yaml", 0, "check the file exists as UTF-8")
    ]
    assert problems.items[0].message.startswith("cannot be read: ")


def test_file_names_are_relative_to_root_when_given(tmp_path: Path) -> None:
    """Problems name the file relative to the content root, or as given without a root."""
    folder = tmp_path / "flows"
    folder.mkdir()
    path = folder / "helpline.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    relative, absolute = ProblemList(), ProblemList()
    load_yaml(path, relative, tmp_path)
    load_yaml(path, absolute)
    assert [p.file for p in relative.items] == ["flows/helpline.yaml"]
    assert [p.file for p in absolute.items] == [str(path)]


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    """A duplicate key, an unquoted number key and a lost # key are all reported together."""
    _, problems = load(
        tmp_path,
        'options:\n  "1": {to: a}\n  2: {to: b}\n  #: {to: c}\n  "1": {to: d}\n',
    )
    assert sorted((p.line, p.message) for p in problems) == [
        (3, "the key 2 is not a quoted string"),
        (4, "this line looks like a key for # but an unquoted # starts a comment"),
        (5, "the key '1' is written twice (first on line 2)"),
    ]


def test_problem_reads_as_file_line_node_message_and_fix() -> None:
    """A problem prints as file:line [node]: message (fix: hint), warnings marked as such."""
    assert str(Problem("flows/a.yaml", 3, "is wrong", "fix it", "main")) == (
        "flows/a.yaml:3 [main]: is wrong (fix: fix it)"
    )
    assert str(Problem("flows", 0, "is old", "review it", warning=True)) == (
        "flows: warning: is old (fix: review it)"
    )
