"""Small content trees for loader and check tests: write one, break one thing, expect problems."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ivr.content.hours import Hours, parse_hours
from ivr.content.load import Content, collect_content, load_first_language
from ivr.content.problems import Problem, ProblemList

ROOT = Path(__file__).resolve().parent.parent
REAL_PROMPTS = ROOT / "prompts" / "en-GB"
REAL_WORDING = ROOT / "data" / "wording" / "en-GB.yaml"
# What the Fallback says when even the prompts cannot be read, from the real language file.
LAST_RESORT_SAFETY = load_first_language(ROOT).last_resort.safety
SERVICE = "test line"
HOURS = parse_hours("Mon-Sun 08:00-20:00")
SPOKEN_HOURS = "every day, from 8 in the morning until 8 at night"
TODAY = dt.date(2025, 1, 1)
FLOW_FILE = "flows/helpline.yaml"
PROMPT_FILE = "prompts/en-GB/demo.yaml"

# A minimal valid flow: a start menu, two info nodes, and the nurse transfer with its two endings.
FLOW = """\
# yaml-language-server: $schema=../ivr/content/schema/flow.schema.json
start: main
operator: nurse
welcome: [demo.hello, safety.message, demo.keys]
guidance:
  source: "A test source"
  reviewed: "2024-01-01"
  next_review: "2030-01-01"
nodes:
  main:
    kind: menu
    title: "Main menu"
    say: [demo.choices]
    options:
      "1": {to: info, words: ["information", "tell me"]}
      "2": {to: nurse, words: ["talk to a nurse"]}
    code: "10"
  info:
    kind: info
    title: "Some information"
    say: [demo.info]
    choices: [demo.info_next, main.return]
    options:
      "1": {to: more, words: ["more"]}
    code: "11"
  more:
    kind: info
    title: "More information"
    say: [demo.more]
    choices: [main.return]
    code: "12"
  nurse:
    kind: transfer
    title: "Talk to a nurse"
    to: nurse_line
    say: demo.connecting
    closed: nurse_closed
    unavailable: nurse_unavailable
  nurse_closed:
    kind: info
    title: "Nurse line closed"
    say: [demo.closed, safety.message]
    choices: [main.return]
  nurse_unavailable:
    kind: info
    title: "No nurse free"
    say: [demo.unavailable, safety.message]
    choices: [main.return]
"""

PROMPTS = """\
hello: "Welcome to the {service}."
keys: >-
  To talk to a nurse, press 0. To go back, press star.
  To hear this again, press hash. To slow down, press 9.
choices: "To hear some information, press 1. To talk to a nurse, press 2."
info: "Here is some information."
info_next: "To hear more information, press 1."
more: "Here is more information."
connecting: "I am putting you through to a nurse."
closed: "The nurse line is closed. {nurse_hours}"
unavailable: "No nurse is free. {nurse_hours}"
"""

# The prompts every tree shares with the real content: the main menu's key, the safety message.
MAIN_PROMPTS = 'return: "For the main menu, press 8."\n'


def edit(text: str, old: str, new: str) -> str:
    """Replace the one place old is written; fail loudly if it is not there exactly once."""
    assert text.count(old) == 1, f"{old!r} is in the text {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    """The line number of the one line holding fragment."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(found) == 1, f"{fragment!r} is on lines {found}"
    return found[0]


def node_line(text: str, node: str) -> int:
    """The line of a node's id key, `  <node>:`."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if line == f"  {node}:"]
    assert len(found) == 1, f"node {node} is on lines {found}"
    return found[0]


def write_tree(
    root: Path, flows: dict[str, str] | None = None, prompts: dict[str, str] | None = None
) -> Path:
    """Write flows/*.yaml and prompts/en-GB/*.yaml; the real system, hours, whisper, queue and
    safety prompts, the real language.yaml, main.return and the real data/wording unless given."""
    flows = {"helpline": FLOW} if flows is None else flows
    prompts = {"demo": PROMPTS} if prompts is None else prompts
    (root / "flows").mkdir(parents=True)
    (root / "prompts" / "en-GB").mkdir(parents=True)
    for stem, text in flows.items():
        (root / "flows" / f"{stem}.yaml").write_text(text, encoding="utf-8")
    for stem in ("system", "hours", "whisper", "queue", "safety", "language"):
        real = (REAL_PROMPTS / f"{stem}.yaml").read_text(encoding="utf-8")
        (root / "prompts" / "en-GB" / f"{stem}.yaml").write_text(real, encoding="utf-8")
    (root / "prompts" / "en-GB" / "main.yaml").write_text(MAIN_PROMPTS, encoding="utf-8")
    (root / "data" / "wording").mkdir(parents=True)
    (root / REAL_WORDING.relative_to(ROOT)).write_text(
        REAL_WORDING.read_text(encoding="utf-8"), encoding="utf-8"
    )
    for stem, text in prompts.items():
        (root / "prompts" / "en-GB" / f"{stem}.yaml").write_text(text, encoding="utf-8")
    return root


def collect(
    root: Path,
    readability: bool = False,
    today: dt.date = TODAY,
    hours: Hours = HOURS,
    service: str = SERVICE,
) -> tuple[Content | None, ProblemList]:
    """Load a tree as the helpline does, keeping every problem."""
    return collect_content(root, service, hours, today, readability=readability)


@dataclass(frozen=True)
class Like:
    """An expected problem: file, line, node and warning exactly; message and hint by fragment."""

    file: str
    line: int
    message: str
    hint: str
    node: str = ""
    warning: bool = False
    rule: str = ""  # the named rule, when the test says which

    def matches(self, problem: Problem) -> bool:
        return (
            (problem.file, problem.line, problem.node, problem.warning)
            == (self.file, self.line, self.node, self.warning)
            and self.message in problem.message
            and self.hint in problem.hint
            and (not self.rule or problem.rule == self.rule)
        )


def assert_problems(found: list[Problem], expected: list[Like]) -> None:
    """Each expected problem is found once, and nothing else is (order aside)."""
    left = list(found)
    missing = []
    for like in expected:
        match = next((p for p in left if like.matches(p)), None)
        if match is None:
            missing.append(like)
        else:
            left.remove(match)
    assert not missing and not left, "\n".join(
        ["expected but not found:", *map(repr, missing), "found but not expected:", *map(str, left)]
    )
