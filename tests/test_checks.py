"""Tests for ivr.content.checks: each check of a loaded flow, by breaking one thing in a small
tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.content.checks import check_flow
from ivr.content.graph import menu_depths, shortest_paths
from ivr.content.model import SYSTEM_PROMPTS, MenuNode
from ivr.content.problems import Problem, ProblemList
from tests.trees import (
    FLOW,
    FLOW_FILE,
    PROMPT_FILE,
    PROMPTS,
    REAL_PROMPTS,
    Like,
    assert_problems,
    collect,
    edit,
    line_of,
    node_line,
    write_tree,
)

# The same flow with a short yes/no walk-through as main menu option 3.
WALK_FLOW = (
    FLOW.replace(
        '      "2": {to: nurse, words: ["talk to a nurse"]}\n',
        '      "2": {to: nurse, words: ["talk to a nurse"]}\n'
        '      "3": {to: q_one, words: ["questions"]}\n',
    )
    + """\
  q_one:
    kind: question
    title: "Answer two questions: one"
    say: [demo.q_one]
    records: first
    label: "the first"
    yes: q_two
    no: q_two
  q_two:
    kind: question
    title: "Question two"
    say: [demo.q_two]
    records: second
    label: "the second"
    "yes": summary
    "no": summary
  summary:
    kind: summary
    title: "What you said"
    say: demo.summary
    answers:
      first: demo.yes_first
      second: demo.yes_second
    none: demo.none
    after: demo.after
    then: [demo.then, main.return]
    options:
      "1": {to: info, words: ["information"]}
"""
)

WALK_PROMPTS = PROMPTS.replace("press 2.", "press 2. To answer two questions, press 3.") + (
    """\
q_one: "Is it the first? If yes, press 1. If no, press 2."
q_two: "Is it the second? If yes, press 1. If no, press 2."
summary: "Here is what you said."
yes_first: "You said yes to the first. The first helps."
yes_second: "You said yes to the second. The second helps."
none: "You said no to both."
after: "Think it over."
then: "To hear some information, press 1."
"""
)

REAL_SYSTEM = (REAL_PROMPTS / "system.yaml").read_text(encoding="utf-8")


def at(flow: str, node: str, message: str, hint: str) -> Like:
    """A problem expected on a node of the flow file, at the node's own line."""
    return Like(FLOW_FILE, node_line(flow, node), message, hint, node=node)


def at_line(flow: str, fragment: str, node: str, message: str, hint: str) -> Like:
    """A problem expected on a node of the flow file, at the line holding fragment."""
    return Like(FLOW_FILE, line_of(flow, fragment), message, hint, node=node)


def errors_of(tmp_path: Path, flow: str = FLOW, prompts: str = PROMPTS) -> list[Problem]:
    """Load a tree with one flow file and one prompt file that must fail; give its errors."""
    content, problems = collect(write_tree(tmp_path, {"helpline": flow}, {"demo": prompts}))
    assert content is None
    return problems.errors()


# ---------------------------------------------------------------- valid trees


@pytest.mark.parametrize(("flow", "prompts"), [(FLOW, PROMPTS), (WALK_FLOW, WALK_PROMPTS)])
def test_valid_trees_pass_every_check(tmp_path: Path, flow: str, prompts: str) -> None:
    """The minimal flow, and the one with a walk-through, pass every check, readability too."""
    content, problems = collect(
        write_tree(tmp_path, {"helpline": flow}, {"demo": prompts}), readability=True
    )
    assert [str(p) for p in problems.items] == []
    assert content is not None


def test_walk_through_answer_ids_in_the_order_asked(tmp_path: Path) -> None:
    """The flow lists the walk-through's answer ids in the order the questions appear."""
    content, _ = collect(write_tree(tmp_path, {"helpline": WALK_FLOW}, {"demo": WALK_PROMPTS}))
    assert content is not None
    assert content.flow.answer_ids == ("first", "second")


# ---------------------------------------------------------------- one break, its problems


def _five_options() -> tuple[str, str]:
    flow = edit(
        FLOW,
        '      "2": {to: nurse, words: ["talk to a nurse"]}\n',
        '      "2": {to: nurse, words: ["talk to a nurse"]}\n'
        '      "3": {to: info, words: ["three"]}\n'
        '      "4": {to: info, words: ["four"]}\n'
        '      "5": {to: info, words: ["five"]}\n',
    )
    prompts = edit(PROMPTS, "press 2.", "press 2. Or press 3, press 4 or press 5.")
    return flow, prompts


def _lost_node() -> str:
    return FLOW + (
        "  lost:\n"
        "    kind: info\n"
        '    title: "Nobody comes here"\n'
        "    say: [demo.info]\n"
        "    choices: [demo.info_next, main.return]\n"
        "    options:\n"
        '      "1": {to: more, words: ["more"]}\n'
    )


def _cases() -> dict[str, tuple[str, str, list[Like]]]:
    """Each case: the flow and prompts with one thing broken, and every problem expected."""
    cases: dict[str, tuple[str, str, list[Like]]] = {}

    flow = edit(FLOW, "{to: info,", "{to: infos,")
    cases["unknown-target"] = (
        flow,
        PROMPTS,
        [
            at_line(
                flow,
                "{to: infos,",
                "main",
                "leads to unknown node 'infos'",
                "did you mean 'info'?",
            ),
            at(flow, "info", "cannot be reached from the start", "add an option that leads here"),
            at(flow, "more", "cannot be reached from the start", "add an option that leads here"),
        ],
    )

    flow = edit(FLOW, "closed: nurse_closed", "closed: nurse_closd")
    cases["unknown-closed-node"] = (
        flow,
        PROMPTS,
        [
            at_line(
                flow,
                "closed: nurse_closd",
                "nurse",
                "leads to unknown node 'nurse_closd'",
                "did you mean 'nurse_closed'?",
            ),
            at(flow, "nurse_closed", "cannot be reached from the start", "add an option"),
        ],
    )

    flow = edit(FLOW, "say: demo.connecting", "say: demo.connectin")
    cases["unknown-prompt"] = (
        flow,
        PROMPTS,
        [
            at_line(
                flow,
                "say: demo.connectin",
                "nurse",
                "plays unknown prompt 'demo.connectin'",
                "did you mean",
            ),
            Like(
                PROMPT_FILE,
                line_of(PROMPTS, "connecting:"),
                "prompt demo.connecting is never played",
                "use it in a flow node, or delete it",
            ),
        ],
    )

    flow = edit(FLOW, '"1": {to: more, words: ["more"]}', '"1": {to: info, words: ["more"]}')
    cases["no-way-on"] = (
        flow,
        PROMPTS,
        [
            at(
                flow,
                "info",
                "has no way on: every choice leads back to itself",
                "add an option that leads to another part",
            ),
            at(flow, "more", "cannot be reached from the start", "add an option that leads here"),
        ],
    )

    flow = edit(FLOW, '      "2": {to: nurse', '      "3": {to: nurse')
    prompts = edit(PROMPTS, "press 2.", "press 3.")
    cases["gap-in-numbers"] = (
        flow,
        prompts,
        [at(flow, "main", "numbers its options 1, 3", "number them 1, 2 with no gaps")],
    )

    flow, prompts = _five_options()
    cases["five-options"] = (
        flow,
        prompts,
        [at(flow, "main", "has 5 numbered options", "keep to 4: split the menu")],
    )

    flow = edit(FLOW, '["talk to a nurse"]', '["talk to a nurse", "Tell  me"]')
    cases["same-word-two-options"] = (
        flow,
        PROMPTS,
        [
            at(
                flow,
                "main",
                "options 1 and 2 both use the word 'tell me'",
                "give each option its own words",
            )
        ],
    )

    prompts = edit(PROMPTS, "To talk to a nurse, press 2.", "To talk to a nurse, say so.")
    cases["menu-never-says-press-2"] = (
        FLOW,
        prompts,
        [
            at(
                FLOW,
                "main",
                "never tells the caller to press 2",
                'say the goal, then the key: "To hear ..., press 2."',
            )
        ],
    )

    prompts = edit(WALK_PROMPTS, "first? If yes, press 1. If no, press 2.", "first? Yes or no?")
    cases["question-never-says-its-keys"] = (
        WALK_FLOW,
        prompts,
        [
            at(WALK_FLOW, "q_one", "never tells the caller to press 1", "press 1."),
            at(WALK_FLOW, "q_one", "never tells the caller to press 2", "press 2."),
        ],
    )

    flow = edit(WALK_FLOW, "    records: second\n", "    records: seconds\n")
    cases["summary-of-an-answer-never-recorded"] = (
        flow,
        WALK_PROMPTS,
        [
            at(
                flow,
                "summary",
                "summarises answer 'second', which no question records",
                "did you mean 'seconds'?",
            ),
            at(
                flow,
                "summary",
                "does not summarise answer 'seconds'",
                "add seconds: <prompt id> under answers",
            ),
        ],
    )

    flow = edit(WALK_FLOW, "      second: demo.yes_second\n", "")
    cases["summary-missing-an-answer"] = (
        flow,
        WALK_PROMPTS,
        [
            at(
                flow,
                "summary",
                "does not summarise answer 'second'",
                "add second: <prompt id> under answers",
            ),
            Like(
                PROMPT_FILE,
                line_of(WALK_PROMPTS, "yes_second:"),
                "prompt demo.yes_second is never played",
                "use it in a flow node, or delete it",
            ),
        ],
    )

    prompts = PROMPTS + 'spare: "Nobody plays this."\n'
    cases["unused-prompt"] = (
        FLOW,
        prompts,
        [
            Like(
                PROMPT_FILE,
                line_of(prompts, "spare:"),
                "prompt demo.spare is never played",
                "use it in a flow node, or delete it",
            )
        ],
    )

    flow = _lost_node()
    cases["unreachable-node"] = (
        flow,
        PROMPTS,
        [at(flow, "lost", "cannot be reached from the start", "add an option that leads here")],
    )

    flow = edit(FLOW, "start: main", "start: info")
    cases["start-not-a-menu"] = (
        flow,
        PROMPTS,
        [
            Like(
                FLOW_FILE,
                line_of(flow, "start: info"),
                "start 'info' is not a menu node",
                "make the first node a menu",
            ),
            # Nothing leads back to main now; and its option 1 leads to the start.
            at(flow, "main", "cannot be reached from the start", "add an option that leads here"),
            at_line(
                flow,
                "{to: info,",
                "main",
                "option 1 leads to the main menu, which is on 8 everywhere",
                "remove the option",
            ),
        ],
    )

    flow = edit(FLOW, "start: main", "start: mian")
    cases["start-unknown"] = (
        flow,
        PROMPTS,
        [
            Like(
                FLOW_FILE,
                line_of(flow, "start: mian"),
                "start 'mian' is not a menu node",
                "did you mean 'main'?",
            )
        ],
    )

    flow = edit(FLOW, "operator: nurse", "operator: info")
    cases["operator-not-a-transfer"] = (
        flow,
        PROMPTS,
        [
            Like(
                FLOW_FILE,
                line_of(flow, "operator: info"),
                "operator 'info' is not a transfer node",
                "point `operator:` at the nurse line's transfer node",
            )
        ],
    )

    flow = edit(
        FLOW,
        "welcome: [demo.hello, safety.message, demo.keys]",
        "welcome: [demo.helo, safety.message, demo.keys]",
    )
    cases["welcome-unknown-prompt"] = (
        flow,
        PROMPTS,
        [
            Like(
                FLOW_FILE,
                line_of(flow, "welcome: [demo.helo, safety.message, demo.keys]"),
                "welcome plays unknown prompt 'demo.helo'",
                "did you mean 'demo.hello'?",
            ),
            Like(PROMPT_FILE, 1, "prompt demo.hello is never played", "use it in a flow node"),
        ],
    )
    return cases


CASES = _cases()


@pytest.mark.parametrize(("flow", "prompts", "expected"), CASES.values(), ids=CASES.keys())
def test_one_break_gives_exactly_its_problems(
    tmp_path: Path, flow: str, prompts: str, expected: list[Like]
) -> None:
    """Breaking one thing gives exactly the problems naming it, with file, line, node and fix."""
    assert_problems(errors_of(tmp_path, flow, prompts), expected)


@pytest.mark.parametrize("word", ["Nurse", "person", "operator", "help", "repeat", "again", "back"])
def test_option_word_that_works_everywhere(tmp_path: Path, word: str) -> None:
    """An option may not use a word that already works in every node."""
    flow = edit(FLOW, '["talk to a nurse"]', f'["talk to a nurse", "{word}"]')
    assert_problems(
        errors_of(tmp_path, flow),
        [
            at(
                flow,
                "main",
                f"option 2 uses the word {word.lower()!r}, which works everywhere",
                "choose other words",
            )
        ],
    )


def test_phrase_holding_a_global_word_is_allowed(tmp_path: Path) -> None:
    """A phrase such as "talk to a nurse" is not the global word "nurse" on its own."""
    content, problems = collect(write_tree(tmp_path))
    assert problems.items == []
    assert content is not None
    main = content.flow.nodes["main"]
    assert isinstance(main, MenuNode)
    assert main.options[1].words == ("talk to a nurse",)


@pytest.mark.parametrize(
    "choices",
    [
        "To hear some information, press one. To talk to a nurse, press two.",
        "To hear some information, PRESS 1. To talk to a nurse, Press 2.",
    ],
)
def test_keys_may_be_said_as_words_or_in_any_case(tmp_path: Path, choices: str) -> None:
    """ "press one" and "Press 2" count as telling the caller the key."""
    prompts = edit(
        PROMPTS, "To hear some information, press 1. To talk to a nurse, press 2.", choices
    )
    content, problems = collect(write_tree(tmp_path, prompts={"demo": prompts}))
    assert [str(p) for p in problems.items] == []
    assert content is not None


def test_press_10_is_not_press_1(tmp_path: Path) -> None:
    """ "press 10" does not tell the caller to press 1."""
    prompts = edit(PROMPTS, "some information, press 1.", "some information, press 10.")
    assert_problems(
        errors_of(tmp_path, prompts=prompts),
        [at(FLOW, "main", "never tells the caller to press 1", "press 1.")],
    )


@pytest.mark.parametrize("prompt", ["system.at_start", "system.goodbye", "system.fallback_closed"])
def test_missing_system_prompt(tmp_path: Path, prompt: str) -> None:
    """A prompt the engine plays itself must exist; its absence names the file to add it to."""
    key = prompt.split(".")[1]
    system = "".join(
        line for line in REAL_SYSTEM.splitlines(keepends=True) if not line.startswith(f"{key}:")
    )
    assert system != REAL_SYSTEM
    root = write_tree(tmp_path, prompts={"demo": PROMPTS, "system": system})
    content, problems = collect(root)
    assert content is None
    assert_problems(
        problems.errors(),
        [
            Like(
                "prompts",
                0,
                f"missing prompt {prompt} (said {SYSTEM_PROMPTS[prompt]})",
                "add it to prompts/en-GB/system.yaml",
            )
        ],
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Several independent faults are all reported together, not just the first."""
    flow = edit(FLOW, '["talk to a nurse"]', '["talk to a nurse", "help"]')
    flow = edit(flow, "closed: nurse_closed", "closed: nurse_shut")
    prompts = PROMPTS + 'spare: "Nobody plays this."\n'
    assert_problems(
        errors_of(tmp_path, flow, prompts),
        [
            at(flow, "main", "option 2 uses the word 'help'", "choose other words"),
            at_line(
                flow,
                "closed: nurse_shut",
                "nurse",
                "leads to unknown node 'nurse_shut'",
                "did you mean",
            ),
            at(flow, "nurse_closed", "cannot be reached from the start", "add an option"),
            Like(PROMPT_FILE, line_of(prompts, "spare:"), "demo.spare is never played", "use it"),
        ],
    )


def test_check_flow_adds_problems_without_raising(tmp_path: Path) -> None:
    """check_flow on a built flow only adds to the problem list; a good flow adds nothing."""
    content, _ = collect(write_tree(tmp_path))
    assert content is not None
    problems = ProblemList()
    check_flow(content.flow, content.prompts, problems)
    assert problems.items == []


# ---------------------------------------------------------------- how long a node takes


BASE_MENU_WORDS = 13  # "To hear some information, press 1. To talk to a nurse, press 2."
# "Here is some information." + "To hear more information, press 1." + main.return
BASE_INFO_WORDS = 16


@pytest.mark.parametrize(("words", "too_long"), [(46, False), (47, True)])
def test_menu_length_limit(tmp_path: Path, words: int, too_long: bool) -> None:
    """A menu may take 20 seconds to say (46 words at 140 a minute), not more."""
    padding = " more" * (words - BASE_MENU_WORDS)
    prompts = edit(
        PROMPTS, "To talk to a nurse, press 2.", "To talk to a nurse, press 2." + padding
    )
    content, problems = collect(write_tree(tmp_path, prompts={"demo": prompts}))
    expected = [
        at(FLOW, "main", f"takes about 20 s to say ({words} words)", "keep a menu under 20 s")
    ]
    assert_problems(problems.errors(), expected if too_long else [])
    assert (content is None) == too_long


@pytest.mark.parametrize(("words", "too_long"), [(140, False), (141, True)])
def test_block_length_limit(tmp_path: Path, words: int, too_long: bool) -> None:
    """An info block may take 60 seconds to say (140 words), not more."""
    padding = " more" * (words - BASE_INFO_WORDS)
    prompts = edit(PROMPTS, "Here is some information.", "Here is some information." + padding)
    content, problems = collect(write_tree(tmp_path, prompts={"demo": prompts}))
    expected = [
        at(FLOW, "info", f"takes about 60 s to say ({words} words)", "keep a block under 60 s")
    ]
    assert_problems(problems.errors(), expected if too_long else [])
    assert (content is None) == too_long


def test_length_is_measured_on_what_the_voice_says(tmp_path: Path) -> None:
    """The time to say a block counts the spoken form, where phone numbers are read out."""
    text = "The number is 0800 917 2127. " * 11
    spoken = "The number is oh eight hundred, nine one seven, two one two seven. " * 11
    prompts = edit(
        PROMPTS,
        'info: "Here is some information."\n',
        f'info:\n  text: "{text.strip()}"\n  spoken: "{spoken.strip()}"\n',
    )
    words = len(spoken.split()) + 12  # and the choices: "To hear more ...", main.return
    assert (len(text.split()) + 12, words) == (78, 155)
    assert_problems(
        errors_of(tmp_path, prompts=prompts),
        [at(FLOW, "info", f"to say ({words} words)", "keep a block under 60 s")],
    )


# ---------------------------------------------------------------- menu depth and the graph


def _menu(name: str, to: str) -> str:
    return (
        f"  {name}:\n"
        "    kind: menu\n"
        f'    title: "{name}"\n'
        "    say: [demo.onward]\n"
        "    options:\n"
        f'      "1": {{to: {to}, words: ["onward"]}}\n'
        f'    code: "{50 + int(name[1:]) if name[1:].isdigit() else 59}"\n'
    )


def _chain(*menus: str) -> tuple[str, str]:
    """main -> the menus given, in a row -> info: a flow and its prompts."""
    names = [*menus, "info"]
    flow = edit(FLOW, "{to: info,", f"{{to: {names[0]},")
    flow += "".join(_menu(name, names[n + 1]) for n, name in enumerate(menus))
    return flow, PROMPTS + 'onward: "To go on, press 1."\n'


def test_three_menus_below_the_start_is_allowed(tmp_path: Path) -> None:
    """main -> m1 -> m2 -> info puts info 3 menus below the start, which is allowed."""
    flow, prompts = _chain("m1", "m2")
    content, problems = collect(write_tree(tmp_path, {"helpline": flow}, {"demo": prompts}))
    assert [str(p) for p in problems.items] == []
    assert content is not None
    assert menu_depths(content.flow) == {
        "main": 0,
        "m1": 1,
        "nurse": 1,
        "m2": 2,
        "info": 3,
        "more": 3,
        "nurse_closed": 1,
        "nurse_unavailable": 1,
    }


def test_four_menus_below_the_start_is_too_deep(tmp_path: Path) -> None:
    """main -> m1 -> m2 -> m3 -> info puts info 4 menus below the start: too deep."""
    flow, prompts = _chain("m1", "m2", "m3")
    assert_problems(
        errors_of(tmp_path, flow, prompts),
        [
            at(flow, "info", "is 4 menus below the start", "keep every part within 3 menus"),
            at(flow, "more", "is 4 menus below the start", "keep every part within 3 menus"),
        ],
    )


def test_info_chains_do_not_go_deeper(tmp_path: Path) -> None:
    """Moving on from info block to info block stays at the same menu depth."""
    flow = FLOW + "".join(
        f"  more{n}:\n"
        "    kind: info\n"
        f'    title: "More {n}"\n'
        "    say: [demo.info]\n"
        "    choices: [demo.info_next, main.return]\n"
        "    options:\n"
        f'      "1": {{to: {"more" + str(n + 1) if n < 5 else "more"}, words: ["more"]}}\n'
        f'    code: "{60 + n}"\n'
        for n in range(1, 6)
    )
    flow = edit(
        flow,
        '"1": {to: more, words: ["more"]}\n    code: "11"',
        '"1": {to: more1, words: ["more"]}\n    code: "11"',
    )
    content, problems = collect(write_tree(tmp_path, {"helpline": flow}))
    assert [str(p) for p in problems.items] == []
    assert content is not None
    depths = menu_depths(content.flow)
    assert [depths[f"more{n}"] for n in range(1, 6)] == [1, 1, 1, 1, 1]
    assert shortest_paths(content.flow)["more3"] == ("main", "info", "more1", "more2", "more3")


# ---------------------------------------------------------------- readability


HARD = (
    "Notwithstanding considerable institutional heterogeneity, multidisciplinary oncological "
    "deliberations necessitate comprehensive documentation regarding therapeutic alternatives."
)
LONG_SENTENCE = (
    "The cat sat on the mat and the dog sat on the rug and the bird sat in the tree all day."
)


@pytest.mark.parametrize(
    ("text", "figures"),
    [(HARD, "reading ease -170 (at least 60)"), (LONG_SENTENCE, "22.0 words a sentence")],
    ids=["hard-words", "long-sentence"],
)
def test_prompt_hard_to_follow(tmp_path: Path, text: str, figures: str) -> None:
    """With readability on, a prompt hard to follow by ear is named with its scores."""
    prompts = edit(PROMPTS, "Here is some information.", text)
    root = write_tree(tmp_path, prompts={"demo": prompts})
    content, problems = collect(root, readability=True)
    assert content is None
    assert_problems(
        problems.errors(),
        [
            Like(
                PROMPT_FILE,
                line_of(prompts, "info:"),
                "prompt demo.info is hard to follow: ",
                "use shorter words and sentences, one idea each",
            )
        ],
    )
    assert figures in problems.errors()[0].message
    content, problems = collect(root, readability=False)
    assert problems.items == []


def test_readability_is_checked_with_placeholders_filled(tmp_path: Path) -> None:
    """A plain prompt becomes hard to follow when {service} is filled with a hard name."""
    prompts = edit(
        PROMPTS,
        'hello: "Welcome to the {service}."',
        'hello: "Welcome to the {service}. We are glad you called us today."',
    )
    root = write_tree(tmp_path, prompts={"demo": prompts})
    _, plain = collect(root, readability=True)
    _, hard = collect(
        root,
        readability=True,
        service="multidisciplinary oncological consultation information service",
    )
    assert plain.items == []
    assert_problems(
        hard.errors(),
        [
            Like(PROMPT_FILE, 1, "prompt demo.hello is hard to follow", "use shorter words"),
            Like(
                "prompts/en-GB/system.yaml",
                line_of(REAL_SYSTEM, "entry: "),
                "prompt system.entry is hard to follow",
                "use shorter words",
            ),
        ],
    )
