"""Tests for ivr.content.load: loading flows and prompts from small trees, one thing broken at a
time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ivr.config import load_settings
from ivr.content.flows import load_flow
from ivr.content.hours import HOURS_PROMPTS, parse_hours
from ivr.content.load import collect_content, load_content
from ivr.content.model import Guidance, InfoNode, MenuNode, Option, TransferNode
from ivr.content.problems import ContentError, Problem, ProblemList
from ivr.content.prompts import (
    DURING_CALL,
    RawPrompt,
    check_vocabulary,
    fill_prompts,
    load_raw_prompts,
    placeholders,
)
from tests.trees import (
    FLOW,
    FLOW_FILE,
    HOURS,
    PROMPT_FILE,
    PROMPTS,
    REAL_PROMPTS,
    ROOT,
    SERVICE,
    SPOKEN_HOURS,
    TODAY,
    Like,
    assert_problems,
    collect,
    edit,
    line_of,
    node_line,
    write_tree,
)


def broken(tmp_path: Path, **files: dict[str, str]) -> list[Problem]:
    """Load a tree that must fail, and give its errors."""
    content, problems = collect(write_tree(tmp_path, **files))
    assert content is None
    return problems.errors()


# ---------------------------------------------------------------- the valid tree


def test_minimal_tree_loads_into_typed_nodes(tmp_path: Path) -> None:
    """The minimal valid tree loads with no problems into frozen nodes, settings and prompts."""
    content, problems = collect(write_tree(tmp_path))
    assert problems.items == []
    assert content is not None
    flow = content.flow
    welcome = ("demo.hello", "safety.message", "demo.keys")
    assert (flow.start, flow.operator, flow.welcome) == ("main", "nurse", welcome)
    assert flow.guidance == Guidance(
        "A test source",
        dt.date(2024, 1, 1),
        dt.date(2030, 1, 1),
        FLOW_FILE,
        line_of(FLOW, "next_review:"),
    )
    assert list(flow.nodes) == [
        "main",
        "info",
        "more",
        "nurse",
        "nurse_closed",
        "nurse_unavailable",
    ]
    assert flow.nodes["main"] == MenuNode(
        id="main",
        title="Main menu",
        code="10",
        say=("demo.choices",),
        file=FLOW_FILE,
        line=node_line(FLOW, "main"),
        options=(
            Option("1", "info", ("information", "tell me")),
            Option("2", "nurse", ("talk to a nurse",)),
        ),
    )
    assert flow.nodes["nurse"] == TransferNode(
        id="nurse",
        title="Talk to a nurse",
        say=("demo.connecting",),  # a single id is read as a list of one
        file=FLOW_FILE,
        line=node_line(FLOW, "nurse"),
        to="nurse_line",
        closed="nurse_closed",
        unavailable="nurse_unavailable",
    )
    assert flow.nodes["info"] == InfoNode(
        id="info",
        title="Some information",
        code="11",
        say=("demo.info",),
        choices=("demo.info_next", "main.return"),
        file=FLOW_FILE,
        line=node_line(FLOW, "info"),
        options=(Option("1", "more", ("more",)),),
    )
    # A block may have no numbered options: 8, the main menu, works everywhere.
    assert flow.nodes["more"] == InfoNode(
        id="more",
        title="More information",
        code="12",
        say=("demo.more",),
        choices=("main.return",),
        file=FLOW_FILE,
        line=node_line(FLOW, "more"),
        options=(),
    )
    assert flow.answer_ids == ()
    assert content.warnings == ()


def test_prompts_are_filled_and_hours_words_kept_out(tmp_path: Path) -> None:
    """{service} and {nurse_hours} are filled; the hours.* words are not prompts of their own."""
    content, _ = collect(write_tree(tmp_path))
    assert content is not None
    book = content.prompts
    assert book["demo.hello"].text == "Welcome to the test line."
    assert book["demo.closed"].text == (
        f"The nurse line is closed. The nurse line is open {SPOKEN_HOURS}."
    )
    assert (book["demo.closed"].file, book["demo.closed"].line) == (
        PROMPT_FILE,
        line_of(PROMPTS, "closed:"),
    )
    assert not [p for p in book.prompts if p.startswith("hours.")]
    assert "system.goodbye" in book


def test_unquoted_guidance_dates_load(tmp_path: Path) -> None:
    """Guidance dates may be written without quotes, as YYYY-MM-DD."""
    flow = edit(FLOW, 'reviewed: "2024-01-01"', "reviewed: 2024-01-01")
    flow = edit(flow, 'next_review: "2030-01-01"', "next_review: 2030-01-01")
    content, problems = collect(write_tree(tmp_path, flows={"helpline": flow}))
    assert problems.items == []
    assert content is not None
    assert content.flow.guidance == Guidance(
        "A test source",
        dt.date(2024, 1, 1),
        dt.date(2030, 1, 1),
        FLOW_FILE,
        line_of(flow, "next_review:"),
    )


def test_option_words_are_lowercased_with_spaces_collapsed(tmp_path: Path) -> None:
    """Speech words are compared as lower case with single spaces, however they were written."""
    flow = edit(FLOW, '["information", "tell me"]', '["Information", "Tell   ME"]')
    content, _ = collect(write_tree(tmp_path, flows={"helpline": flow}))
    assert content is not None
    main = content.flow.nodes["main"]
    assert isinstance(main, MenuNode)
    assert main.options[0].words == ("information", "tell me")


# ---------------------------------------------------------------- prompts


def test_raw_prompt_ids_lines_and_text(tmp_path: Path) -> None:
    """Prompt ids are '<file stem>.<key>', with the line of the key and spaces collapsed."""
    folder = tmp_path / "prompts" / "en-GB"
    folder.mkdir(parents=True)
    (folder / "main.yaml").write_text(
        "# comment\nchoices: >\n  To hear more,\n  press 1.\nshort: Hello.\n", encoding="utf-8"
    )
    (folder / "extra.yaml").write_text('bye: "Goodbye."\n', encoding="utf-8")
    problems = ProblemList()
    raw = load_raw_prompts(folder, problems, tmp_path)
    assert problems.items == []
    assert raw == {
        "extra.bye": RawPrompt("extra.bye", "Goodbye.", "Goodbye.", "prompts/en-GB/extra.yaml", 1),
        "main.choices": RawPrompt(
            "main.choices",
            "To hear more, press 1.",
            "To hear more, press 1.",
            "prompts/en-GB/main.yaml",
            2,
        ),
        "main.short": RawPrompt("main.short", "Hello.", "Hello.", "prompts/en-GB/main.yaml", 5),
    }


def test_text_and_spoken_forms_are_kept_apart(tmp_path: Path) -> None:
    """A {text, spoken} prompt keeps the written text and gives the voice the spoken form."""
    prompts = edit(
        PROMPTS,
        'info: "Here is some information."\n',
        "info:\n"
        '  text: "Call NHS 111 or the {service}."\n'
        '  spoken: "Call N H S one one one, or the {service}."\n',
    )
    content, problems = collect(write_tree(tmp_path, prompts={"demo": prompts}))
    assert problems.items == []
    assert content is not None
    info = content.prompts["demo.info"]
    assert (info.text, info.spoken, info.line) == (
        "Call NHS 111 or the test line.",
        "Call N H S one one one, or the test line.",
        line_of(prompts, "info:"),
    )
    plain = content.prompts["demo.info_next"]
    assert plain.text == plain.spoken == "To hear more information, press 1."


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('a: "A."\nb: "B."\nHello: "Hi."\n', 3, "'Hello' does not match '^[a-z0-9_]+$'"),
        ('a: "A."\nhello-there: "Hi."\n', 2, "'hello-there' does not match"),
        ('a: "A."\nhello: ""\n', 2, "at hello: '' is not valid"),
        ('a: "A."\nhello: 5\n', 2, "at hello: 5 is not valid"),
        ('a: "A."\nhello:\n  text: "Hi."\n', 3, "at hello: {'text': 'Hi.'} is not valid"),
        ('hello:\n  text: "Hi."\n  spoken: "Hi."\n  voice: x\n', 2, "at hello: {'text'"),
    ],
    ids=["capital-key", "dash-key", "empty", "number", "no-spoken", "extra-field"],
)
def test_prompt_file_schema_errors(tmp_path: Path, text: str, line: int, message: str) -> None:
    """A prompt file breaking the prompts schema is named with the line of the bad prompt."""
    errors = broken(tmp_path, prompts={"demo": PROMPTS, "extra": text})
    assert_problems(errors, [Like("prompts/en-GB/extra.yaml", line, message, "")])


def test_prompt_file_syntax_error_names_the_line(tmp_path: Path) -> None:
    """A YAML syntax error in a prompt file is reported with its line, and nothing is built."""
    prompts = edit(PROMPTS, 'info: "Here is some information."', 'info: "Here is some')
    errors = broken(tmp_path, prompts={"demo": prompts})
    assert_problems(
        errors,
        [Like(PROMPT_FILE, line_of(prompts, "info_next:"), "is not valid YAML", "quoting")],
    )


@pytest.mark.parametrize(
    ("old", "new", "unknown"),
    [
        ("Welcome to the {service}.", "Welcome to the {servise}.", "['servise']"),
        ("Welcome to the {service}.", "Welcome to the {} line.", "['']"),
        ("Welcome to the {service}.", "Welcome {caller}, to the {line}.", "['caller', 'line']"),
    ],
    ids=["misspelt", "empty", "two"],
)
def test_unknown_placeholder_is_named(tmp_path: Path, old: str, new: str, unknown: str) -> None:
    """A placeholder that configuration does not fill is named, with the ones that exist."""
    prompts = edit(PROMPTS, old, new)
    errors = broken(tmp_path, prompts={"demo": prompts})
    assert_problems(
        errors,
        [
            Like(
                PROMPT_FILE,
                line_of(prompts, "hello:"),
                f"prompt demo.hello uses unknown placeholder(s) {unknown}",
                "use only ['language', 'minutes', 'nurse_hours', 'part', 'position', 'reasons', "
                "'retention_days', 'run_by', 'service'], "
                "or write braces as {{ and }}",
            )
        ],
    )


def test_unknown_placeholder_in_the_spoken_form_is_named() -> None:
    """The spoken form's placeholders are checked as well as the written form's."""
    raw = {"a.b": RawPrompt("a.b", "Open {nurse_hours}.", "Open {nurse_time}.", "a.yaml", 4)}
    problems = ProblemList()
    book = fill_prompts(raw, {"nurse_hours": "now", "service": "line"}, problems)
    assert "a.b" not in book
    assert_problems(
        problems.items,
        [Like("a.yaml", 4, "prompt a.b uses unknown placeholder(s) ['nurse_time']", "use only")],
    )


def test_doubled_braces_are_written_as_braces() -> None:
    """{{ and }} are how a prompt says a brace; they are not placeholders."""
    raw = {"a.b": RawPrompt("a.b", "Press {{1}} at {service}.", "Press one.", "a.yaml", 1)}
    problems = ProblemList()
    book = fill_prompts(raw, {"service": "the line"}, problems)
    assert problems.items == []
    assert (book["a.b"].text, book["a.b"].spoken) == ("Press {1} at the line.", "Press one.")


@pytest.mark.parametrize("stray", ["Here is { some information.", "Here is } information."])
def test_stray_brace_is_a_problem_not_a_crash(tmp_path: Path, stray: str) -> None:
    """A single { or } in a prompt is reported on its line with a hint about braces."""
    prompts = edit(PROMPTS, "Here is some information.", stray)
    errors = broken(tmp_path, prompts={"demo": prompts})
    assert_problems(
        errors,
        [Like(PROMPT_FILE, line_of(prompts, "info:"), "prompt demo.info", "{")],
    )


# ---------------------------------------------------------------- hours words


def hours_vocabulary(tmp_path: Path, text: str | None = None) -> dict[str, RawPrompt]:
    """The hours.* prompts from the real hours.yaml, or from text when given."""
    folder = tmp_path / "prompts" / "en-GB"
    folder.mkdir(parents=True)
    real = (REAL_PROMPTS / "hours.yaml").read_text(encoding="utf-8")
    (folder / "hours.yaml").write_text(real if text is None else text, encoding="utf-8")
    problems = ProblemList()
    raw = load_raw_prompts(folder, problems, tmp_path)
    assert problems.items == []
    return raw


def test_real_hours_words_are_complete(tmp_path: Path) -> None:
    """The project's hours.yaml has every word for saying hours, each with its own {names}."""
    vocabulary = hours_vocabulary(tmp_path)
    problems = ProblemList()
    check_vocabulary(vocabulary, problems)
    assert [str(p) for p in problems.items] == []
    assert set(vocabulary) == set(HOURS_PROMPTS)


REAL_HOURS = (REAL_PROMPTS / "hours.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "key", "message", "hint"),
    [
        (
            'morning: "{time} in the morning"',
            'morning: "{tme} in the morning"',
            "morning:",
            "prompt hours.morning must use {time}",
            "write it with exactly {time}",
        ),
        (
            'morning: "{time} in the morning"',
            'morning: "in the morning"',
            "morning:",
            "prompt hours.morning must use {time}",
            "write it with exactly {time}",
        ),
        (
            'day_range: "{first} to {last}"',
            'day_range: "{first} to {last} {time}"',
            "day_range:",
            "prompt hours.day_range must use {first}, {last}",
            "write it with exactly {first}, {last}",
        ),
        (
            'midday: "midday"',
            'midday: "{time} midday"',
            "midday:",
            "prompt hours.midday must use no {names}",
            "write it with exactly no {names}",
        ),
    ],
    ids=["misspelt", "missing", "extra", "none-allowed"],
)
def test_hours_word_with_wrong_placeholder(
    tmp_path: Path, old: str, new: str, key: str, message: str, hint: str
) -> None:
    """An hours word with the wrong {names} is named on its line, saying which names it needs."""
    text = edit(REAL_HOURS, old, new)
    problems = ProblemList()
    check_vocabulary(hours_vocabulary(tmp_path, text), problems)
    assert_problems(
        problems.items, [Like("prompts/en-GB/hours.yaml", line_of(text, key), message, hint)]
    )


def test_hours_word_missing_or_extra(tmp_path: Path) -> None:
    """A missing hours word and one that is not an hours word are both named."""
    text = edit(REAL_HOURS, 'midday: "midday"\n', "") + 'dawn: "at dawn"\n'
    problems = ProblemList()
    check_vocabulary(hours_vocabulary(tmp_path, text), problems)
    assert_problems(
        problems.items,
        [
            Like("prompts/en-GB/hours.yaml", 0, "missing prompt hours.midday", "add it"),
            Like(
                "prompts/en-GB/hours.yaml",
                line_of(text, "dawn:"),
                "prompt hours.dawn is not one of the hours words",
                "delete it",
            ),
        ],
    )


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('morning: "{time} in the morning"', 'morning: "{tme} in the morning"', "morning:"),
        ('join: "{first}, and {second}"', 'join: "{first}, and {then}"', "join:"),
    ],
)
def test_hours_word_with_wrong_placeholder_through_collect_content(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    """Loading the content with a misspelt {name} in hours.yaml reports it instead of crashing."""
    text = edit(REAL_HOURS, old, new)
    hours = parse_hours("Mon-Fri 09:00-17:00; Sat 10:00-13:00")
    content, problems = collect(
        write_tree(tmp_path, prompts={"demo": PROMPTS, "hours": text}), hours=hours
    )
    assert content is None
    assert [(p.file, p.line) for p in problems.errors()] == [
        ("prompts/en-GB/hours.yaml", line_of(text, key))
    ]


# ---------------------------------------------------------------- flow files as YAML


MAIN_TITLE_LINE = line_of(FLOW, 'title: "Main menu"')


@pytest.mark.parametrize(
    ("old", "new", "message", "hint"),
    [
        (
            '      "2": {to: nurse',
            "      2: {to: nurse",
            "the key 2 is not a quoted string",
            'write it in quotes: "2"',
        ),
        (
            '      "2": {to: nurse',
            "      #: {to: nurse",
            "this line looks like a key for # but an unquoted # starts a comment",
            'write the key in quotes: "#"',
        ),
        (
            '    title: "Main menu"\n',
            '    title: "Main menu"\n    title: "Again"\n',
            f"the key 'title' is written twice (first on line {MAIN_TITLE_LINE})",
            "keep one of them",
        ),
    ],
    ids=["number-key", "lost-hash", "duplicate-key"],
)
def test_flow_yaml_key_problems(
    tmp_path: Path, old: str, new: str, message: str, hint: str
) -> None:
    """A key YAML would misread in a flow file is the only problem, on its own line."""
    flow = edit(FLOW, old, new)
    changed = next(
        n
        for n, (a, b) in enumerate(zip(FLOW.splitlines(), flow.splitlines(), strict=False), start=1)
        if a != b
    )
    errors = broken(tmp_path, flows={"helpline": flow})
    assert_problems(errors, [Like(FLOW_FILE, changed, message, hint)])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('title: "Main menu"', 'title: "Main" menu"'),
        ("say: [demo.choices]", "say: demo.choices: more"),
    ],
    ids=["stray-quote", "colon-in-value"],
)
def test_flow_yaml_syntax_error_names_the_line(tmp_path: Path, old: str, new: str) -> None:
    """A YAML syntax error in the only flow file is reported on its line, not a crash."""
    flow = edit(FLOW, old, new)
    errors = broken(tmp_path, flows={"helpline": flow})
    assert_problems(
        errors,
        [Like(FLOW_FILE, line_of(flow, new), "is not valid YAML: ", "check the indentation")],
    )


def test_unquoted_star_key_in_a_flow_asks_for_quotes(tmp_path: Path) -> None:
    """An unquoted * option key is reported on its line with the hint to quote phone keys."""
    flow = edit(FLOW, '      "2": {to: nurse', "      *: {to: nurse")
    errors = broken(tmp_path, flows={"helpline": flow})
    assert_problems(
        errors,
        [
            Like(
                FLOW_FILE,
                line_of(flow, "*: {to: nurse"),
                "is not valid YAML",
                'put phone keys in quotes: "*", "#"',
            )
        ],
    )


def test_flow_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    """A second flow file holding a list is named as not a mapping."""
    errors = broken(tmp_path, flows={"helpline": FLOW, "more": "- main\n- info\n"})
    assert_problems(errors, [Like("flows/more.yaml", 1, "is not a mapping", "start with `nodes:`")])


def test_comment_only_flow_file_never_fails_silently(tmp_path: Path) -> None:
    """A flow file with nothing but a comment is named as empty, on line 1, and nothing else."""
    errors = broken(tmp_path, flows={"helpline": FLOW, "more": "# to be written\n"})
    assert_problems(
        errors, [Like("flows/more.yaml", 1, "is empty", "add its content, or delete the file")]
    )


def test_unreadable_flow_file_hides_no_flow_file_sets(tmp_path: Path) -> None:
    """When the only flow file cannot be parsed, no "no flow file sets" noise is added."""
    errors = broken(tmp_path, flows={"helpline": "", "more": "nodes: [a\n"})
    assert_problems(
        errors,
        [
            Like(FLOW_FILE, 1, "is empty", "add its content, or delete the file"),
            Like("flows/more.yaml", 2, "is not valid YAML", "check the indentation"),
        ],
    )


# ---------------------------------------------------------------- several flow files


EXTRA_FLOW = """\
nodes:
  extra:
    kind: info
    title: "Extra"
    say: [demo.info]
    choices: [demo.info_next, main.return]
    options:
      "1": {to: more, words: ["more"]}
  info:
    kind: info
    title: "Other information"
    say: [demo.info]
    choices: [demo.info_next, main.return]
    options:
      "1": {to: more, words: ["more"]}
"""


def test_nodes_may_be_split_across_flow_files(tmp_path: Path) -> None:
    """Nodes from every flows/*.yaml file join one flow, each keeping its own file."""
    info_block = FLOW[FLOW.index("  info:\n") : FLOW.index("  nurse:\n")]
    main_flow = edit(FLOW, info_block, "")
    root = write_tree(tmp_path, flows={"helpline": main_flow, "more": "nodes:\n" + info_block})
    content, problems = collect(root)
    assert problems.items == []
    assert content is not None
    assert (content.flow.nodes["info"].file, content.flow.nodes["info"].line) == (
        "flows/more.yaml",
        2,
    )
    assert content.flow.nodes["main"].file == FLOW_FILE


def test_duplicate_node_across_two_flow_files(tmp_path: Path) -> None:
    """A node id defined in two flow files is named in the second, pointing at the first."""
    errors = broken(tmp_path, flows={"helpline": FLOW, "more": EXTRA_FLOW})
    assert_problems(
        errors,
        [
            Like(
                "flows/more.yaml",
                node_line(EXTRA_FLOW, "info"),
                f"node info is also defined in {FLOW_FILE}:{node_line(FLOW, 'info')}",
                "rename one of them",
                node="info",
            )
        ],
    )


@pytest.mark.parametrize(
    ("other", "setting", "line"),
    [
        ("nodes: {}\nstart: info\n", "start", 2),
        ("operator: main\n", "operator", 1),
        ("welcome: [demo.info]\n", "welcome", 1),
    ],
)
def test_setting_in_two_flow_files(tmp_path: Path, other: str, setting: str, line: int) -> None:
    """A setting written in two flow files is named where it is set the second time."""
    errors = broken(tmp_path, flows={"helpline": FLOW, "zz": other})
    assert_problems(
        errors,
        [
            Like(
                "flows/zz.yaml",
                line,
                f"`{setting}` is also set in {FLOW_FILE}",
                "set it in one flow file only",
            )
        ],
    )


def _without(setting: str) -> str:
    """FLOW with one top-level setting (and anything indented under it) removed."""
    lines = FLOW.splitlines(keepends=True)
    start = next(n for n, line in enumerate(lines) if line.startswith(f"{setting}:"))
    end = next(
        (n for n in range(start + 1, len(lines)) if not lines[n].startswith(" ")), len(lines)
    )
    return "".join(lines[:start] + lines[end:])


@pytest.mark.parametrize("setting", ["start", "operator", "welcome", "guidance", "nodes"])
def test_missing_required_setting(tmp_path: Path, setting: str) -> None:
    """A required setting that no flow file sets is named, saying where to add it."""
    errors = broken(tmp_path, flows={"helpline": _without(setting)})
    assert_problems(
        errors,
        [
            Like(
                FLOW_FILE, 1, f"no flow file sets `{setting}`", f"add `{setting}:` to one flow file"
            )
        ],
    )


def test_missing_setting_is_named_alongside_a_node_problem(tmp_path: Path) -> None:
    """A flow file that parsed is no reason to hide a missing setting: both are named at once."""
    flow = edit(_without("start"), '    title: "Some information"\n', "    title: 5\n")
    errors = broken(tmp_path, flows={"helpline": flow})
    assert_problems(
        errors,
        [
            Like(FLOW_FILE, 1, "no flow file sets `start`", "add `start:` to one flow file"),
            Like(FLOW_FILE, line_of(flow, "title: 5"), "at title: 5 is not of type", "", "info"),
        ],
    )


# ---------------------------------------------------------------- flow schema

AT_NODE = "<the node's own line>"

SCHEMA_CASES = {
    # id: (old, new, the line's fragment or AT_NODE, node, message fragment, hint fragment)
    "unknown-field": (
        '    title: "Some information"\n',
        '    title: "Some information"\n    colour: red\n',
        "colour: red",
        "info",
        "Additional properties are not allowed ('colour' was unexpected)",
        "info: a block of information",
    ),
    "unknown-setting": (
        "operator: nurse\n",
        "operator: nurse\ncolour: red\n",
        "colour: red",
        "",
        "Additional properties are not allowed ('colour' was unexpected)",
        "A call flow for the helpline",
    ),
    "guidance-field": (
        '  source: "A test source"\n',
        '  source: "A test source"\n  author: me\n',
        "author: me",
        "",
        "at guidance: Additional properties are not allowed ('author' was unexpected)",
        "review dates",
    ),
    "option-zero": (
        '      "2": {to: nurse',
        '      "0": {to: nurse',
        '"0": {to: nurse',
        "main",
        "at options: '0' does not match '^[1-9]$'",
        "",
    ),
    "title-not-text": (
        '    title: "Some information"\n',
        "    title: 5\n",
        "title: 5",
        "info",
        "at title: 5 is not of type 'string'",
        "A short written name",
    ),
    "unknown-kind": (
        '    kind: info\n    title: "Some',
        '    kind: infos\n    title: "Some',
        AT_NODE,
        "info",
        "kind 'infos' is not one of "
        "['callback', 'info', 'menu', 'question', 'summary', 'transfer', 'voicemail']",
        "set `kind:` to one of those",
    ),
    "missing-to": (
        "    to: nurse_line\n",
        "",
        AT_NODE,
        "nurse",
        "'to' is a required property",
        "transfer: put the caller through to a person",
    ),
    "wrong-to": (
        "    to: nurse_line\n",
        "    to: nurse_lines\n",
        "to: nurse_lines",
        "nurse",
        "at to: 'nurse_lines' does not match",
        "",
    ),
    "empty-words": (
        '"1": {to: more, words: ["more"]}\n    code: "11"\n  more:',
        '"1": {to: more, words: []}\n  more:',
        "words: []",
        "info",
        "at options/1/words: [] should be non-empty",
        "Words or phrases a caller can say to choose this.",
    ),
    "blank-word": (
        '["talk to a nurse"]',
        '["talk to a nurse", ""]',
        '"talk to a nurse", ""',
        "main",
        "at options/2/words/1: '' should be non-empty",
        "",
    ),
    "missing-words": (
        '{to: nurse, words: ["talk to a nurse"]}',
        "{to: nurse}",
        "{to: nurse}",
        "main",
        "at options/2: 'words' is a required property",
        "",
    ),
    "bad-prompt-id": (
        "say: [demo.choices]",
        "say: [Demo.Choices]",
        "say: [Demo.Choices]",
        "main",
        "at say: ['Demo.Choices'] is not valid",
        "",
    ),
    "empty-welcome": (
        "welcome: [demo.hello, safety.message, demo.keys]",
        "welcome: []",
        "welcome: []",
        "",
        "at welcome: [] is not valid",
        "",
    ),
    "date-not-yyyy-mm-dd": (
        'reviewed: "2024-01-01"',
        'reviewed: "January 2024"',
        "reviewed:",
        "",
        "at guidance/reviewed: 'January 2024' does not match",
        "YYYY-MM-DD",
    ),
    "missing-choices": (
        "    say: [demo.info]\n    choices: [demo.info_next, main.return]\n",
        "    say: [demo.info]\n",
        AT_NODE,
        "info",
        "'choices' is a required property",
        "info: a block of information",
    ),
}


@pytest.mark.parametrize(
    ("old", "new", "where", "node", "message", "hint"),
    list(SCHEMA_CASES.values()),
    ids=list(SCHEMA_CASES),
)
def test_flow_schema_errors(
    tmp_path: Path, old: str, new: str, where: str, node: str, message: str, hint: str
) -> None:
    """A flow breaking the schema gives one problem on the line of the fault, with node and hint."""
    flow = edit(FLOW, old, new)
    line = node_line(flow, node) if where == AT_NODE else line_of(flow, where)
    errors = broken(tmp_path, flows={"helpline": flow})
    assert_problems(errors, [Like(FLOW_FILE, line, message, hint, node=node)])


@pytest.mark.parametrize(
    ("field", "message"),
    [("title", "'title'"), ("say", "'say'"), ("kind", "kind None is not one of")],
)
def test_node_missing_a_common_field(tmp_path: Path, field: str, message: str) -> None:
    """A node without kind, title or say is a problem naming the field, not a crash."""
    block = FLOW[FLOW.index("  info:\n") : FLOW.index("  more:\n")]
    kept = [line for line in block.splitlines(keepends=True) if f"    {field}:" not in line]
    flow = edit(FLOW, block, "".join(kept))
    errors = broken(tmp_path, flows={"helpline": flow})
    assert_problems(errors, [Like(FLOW_FILE, node_line(flow, "info"), message, "", node="info")])


def test_nodes_written_as_a_list(tmp_path: Path) -> None:
    """`nodes:` holding a list instead of a mapping is a problem on its line, not a crash."""
    flow = FLOW[: FLOW.index("nodes:\n")] + "nodes:\n  - main\n  - info\n"
    errors = broken(tmp_path, flows={"helpline": flow})
    assert_problems(errors, [Like(FLOW_FILE, line_of(flow, "nodes:"), "at nodes: ", "")])


def test_guidance_date_that_does_not_exist(tmp_path: Path) -> None:
    """A guidance date shaped YYYY-MM-DD but not a real date is named with the guidance line."""
    flow = edit(FLOW, 'next_review: "2030-01-01"', 'next_review: "2030-13-01"')
    errors = broken(tmp_path, flows={"helpline": flow})
    assert_problems(
        errors,
        [
            Like(
                FLOW_FILE,
                line_of(flow, "source:"),
                "guidance date: month must be in 1..12",
                "write dates as YYYY-MM-DD",
            )
        ],
    )


@pytest.mark.parametrize("folder", ["flows", "prompts/en-GB"])
def test_empty_folder_is_named(tmp_path: Path, folder: str) -> None:
    """A flows/ or prompts/en-GB/ folder with no YAML files in it is named."""
    root = write_tree(tmp_path)
    for path in (root / folder).glob("*.yaml"):
        path.unlink()
    content, problems = collect(root)
    assert content is None
    assert [p.file for p in problems.errors() if "holds no" in p.message] == [str(root / folder)]


def test_load_flow_alone_builds_the_flow(tmp_path: Path) -> None:
    """load_flow builds the flow from flows/ without looking at prompts."""
    root = write_tree(tmp_path)
    problems = ProblemList()
    flow = load_flow(root / "flows", problems, root)
    assert problems.items == []
    assert flow is not None
    assert flow.node("nurse_closed") == InfoNode(
        id="nurse_closed",
        title="Nurse line closed",
        say=("demo.closed", "safety.message"),
        file=FLOW_FILE,
        line=node_line(FLOW, "nurse_closed"),
        options=(),
        choices=("main.return",),
    )


# ---------------------------------------------------------------- review date and start-up


@pytest.mark.parametrize(
    ("today", "warned"),
    [
        (dt.date(2029, 12, 31), False),
        (dt.date(2030, 1, 1), True),
        (dt.date(2031, 6, 1), True),
    ],
)
def test_review_date_is_a_warning_only(tmp_path: Path, today: dt.date, warned: bool) -> None:
    """From next_review on, a warning (not an error) says the guidance is due for review."""
    root = write_tree(tmp_path)
    warning = Problem(
        FLOW_FILE,
        line_of(FLOW, "next_review:"),
        "the guidance was due for review on 2030-01-01",
        "check the content against the current guidance and update `guidance:` dates",
        warning=True,
        rule="review-date",
    )
    expected = [warning] if warned else []
    content, problems = collect(root, today=today)
    assert problems.errors() == []
    assert problems.warnings() == expected
    assert content is not None
    assert list(content.warnings) == expected
    assert list(load_content(root, SERVICE, HOURS, today).warnings) == expected


def test_load_content_raises_naming_every_problem(tmp_path: Path) -> None:
    """load_content raises ContentError holding every problem at once, in its message too."""
    flow = edit(FLOW, "{to: info,", "{to: infos,")
    flow = edit(flow, "    to: nurse_line\n", "")
    prompts = edit(PROMPTS, "{service}", "{servise}")
    root = write_tree(tmp_path, flows={"helpline": flow}, prompts={"demo": prompts})
    with pytest.raises(ContentError) as raised:
        load_content(root, SERVICE, HOURS, TODAY)
    assert_problems(
        raised.value.problems,
        [
            Like(PROMPT_FILE, 1, "uses unknown placeholder(s) ['servise']", "use only"),
            Like(
                FLOW_FILE, node_line(flow, "nurse"), "'to' is a required property", "", node="nurse"
            ),
        ],
    )
    assert str(raised.value).startswith("2 problem(s) in the call flow or prompts:\n")
    assert all(str(p) in str(raised.value) for p in raised.value.problems)


def test_load_content_skips_readability(tmp_path: Path) -> None:
    """Start-up loads a prompt that is hard to follow; collect_content with readability flags it."""
    hard = (
        "Notwithstanding considerable institutional heterogeneity, multidisciplinary oncological "
        "deliberations necessitate comprehensive documentation regarding therapeutic alternatives."
    )
    prompts = edit(PROMPTS, "Here is some information.", hard)
    root = write_tree(tmp_path, prompts={"demo": prompts})
    assert load_content(root, SERVICE, HOURS, TODAY).prompts["demo.info"].text == hard
    content, problems = collect(root, readability=True)
    assert content is None
    assert [(p.file, p.line) for p in problems.errors()] == [
        (PROMPT_FILE, line_of(prompts, "info:"))
    ]


# ---------------------------------------------------------------- the project's own content


def _service() -> str:
    return load_settings({"CONTENT_DIR": str(ROOT)}, development=True).service_name


def test_real_content_passes_every_check_with_readability() -> None:
    """The project's flows/ and prompts/en-GB/ load and pass every check, readability included."""
    content, problems = collect_content(ROOT, _service(), HOURS, readability=True)
    assert [str(p) for p in problems.errors()] == []
    assert content is not None
    assert content.flow.start in content.flow.nodes


@pytest.mark.parametrize(
    "hours", ["always", "never", "Mon-Sun 08:00-20:00", "Mon-Fri 09:00-17:00; Sat 10:00-13:00"]
)
def test_real_content_starts_with_any_hours(hours: str) -> None:
    """The real content loads for start-up whatever the nurse line's hours are."""
    content = load_content(ROOT, _service(), parse_hours(hours))
    left = {name for p in content.prompts.prompts.values() for name in placeholders(p.spoken)}
    assert left <= set(DURING_CALL)  # only what is filled in during a call is left
