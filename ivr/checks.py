"""Check a loaded flow and its prompts as a whole: every problem with file, node and a fix."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import deque
from collections.abc import Iterable, Mapping

from ivr.model import (
    BACK_WORDS,
    LANGUAGE,
    OPERATOR_WORDS,
    REPEAT_WORDS,
    SYSTEM_PROMPTS,
    CallbackNode,
    ChoiceNode,
    Flow,
    InfoNode,
    MenuNode,
    Node,
    PromptBook,
    QuestionNode,
    SummaryNode,
    TransferNode,
)
from ivr.problems import Problem, ProblemList
from ivr.readability import (
    MAX_AVERAGE_SENTENCE,
    MIN_READING_EASE,
    measure,
    seconds_to_say,
    word_count,
)

MAX_OPTIONS = 4
MAX_DEPTH = 3
MAX_MENU_SECONDS = 20.0
MAX_BLOCK_SECONDS = 60.0
GLOBAL_WORDS = frozenset(OPERATOR_WORDS + REPEAT_WORDS + BACK_WORDS)
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _problem(node: Node, message: str, hint: str, warning: bool = False) -> Problem:
    return Problem(node.file, node.line, message, hint, node.id, warning)


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f"did you mean {close[0]!r}?" if close else "add it, or point to an existing one"


def check_flow(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    """Run every check on the flow; problems are added, nothing is raised."""
    _check_settings(flow, problems)
    for node in flow.nodes.values():
        _check_known(node, node.targets(), flow.nodes, "leads to unknown node", problems)
        _check_known(node, node.prompt_ids(), prompts.prompts, "plays unknown prompt", problems)
        if not [t for t in node.targets() if t != node.id]:
            problems.add(
                _problem(
                    node,
                    "has no way on: every choice leads back to itself",
                    "add an option that leads to another part",
                )
            )
        if isinstance(node, ChoiceNode):
            _check_options(node, prompts, problems)
        if isinstance(node, QuestionNode):
            _check_says_keys(node, ("1", "2"), prompts, problems)
        _check_length(node, prompts, problems)
    _check_answers(flow, problems)
    _check_welcome(flow, prompts, problems)
    _check_codes(flow, problems)
    _check_prompt_use(flow, prompts, problems)
    _check_graph(flow, problems)


def _check_known(
    node: Node,
    names: Iterable[str],
    known: Mapping[str, object],
    what: str,
    problems: ProblemList,
) -> None:
    """Each name must exist; a problem points at the line the name is written on."""
    for name in names:
        if name not in known:
            line = _where(name, node.file)[1] or node.line  # strings from YAML know their line
            problems.add(
                Problem(node.file, line, f"{what} {name!r}", _suggest(name, known), node.id)
            )


def _check_settings(flow: Flow, problems: ProblemList) -> None:
    start, operator = flow.node(flow.start), flow.node(flow.operator)
    if not isinstance(start, MenuNode):
        problems.add(
            Problem(
                *_where(flow.start, "flows"),
                f"start {flow.start!r} is not a menu node",
                _suggest(flow.start, flow.nodes) if start is None else "make the first node a menu",
            )
        )
    if not isinstance(operator, TransferNode):
        problems.add(
            Problem(
                *_where(flow.operator, "flows"),
                f"operator {flow.operator!r} is not a transfer node",
                "point `operator:` at the nurse line's transfer node",
            )
        )


def _check_options(node: ChoiceNode, prompts: PromptBook, problems: ProblemList) -> None:
    keys = [option.key for option in node.options]
    expected = [str(n) for n in range(1, len(keys) + 1)]
    if keys != expected:
        problems.add(
            _problem(
                node,
                f"numbers its options {', '.join(keys)}",
                f"number them {', '.join(expected)} with no gaps",
            )
        )
    if len(keys) > MAX_OPTIONS:
        problems.add(
            _problem(
                node,
                f"has {len(keys)} numbered options",
                f"keep to {MAX_OPTIONS}: split the menu or move some options",
            )
        )
    seen: dict[str, str] = {}
    for option in node.options:
        for word in option.words:
            if word in GLOBAL_WORDS:
                problems.add(
                    _problem(
                        node,
                        f"option {option.key} uses the word {word!r}, which works everywhere",
                        "choose other words",
                    )
                )
            elif word in seen and seen[word] != option.key:
                problems.add(
                    _problem(
                        node,
                        f"options {seen[word]} and {option.key} both use the word {word!r}",
                        "give each option its own words",
                    )
                )
            seen[word] = option.key
    _check_says_keys(node, keys, prompts, problems)


def _written_text(node: Node, prompts: PromptBook) -> str:
    return " ".join(prompts[p].text for p in node.prompt_ids() if p in prompts)


def _said_text(node: Node, prompts: PromptBook) -> str:
    """What the voice says: spoken forms, where numbers read digit by digit take longer."""
    return " ".join(prompts[p].spoken for p in node.prompt_ids() if p in prompts)


def _where(value: object, fallback: str) -> tuple[str, int]:
    """The file and line a setting was written on (strings from YAML remember them)."""
    return getattr(value, "file", fallback), getattr(value, "line", 0)


def _check_says_keys(
    node: Node, keys: Iterable[str], prompts: PromptBook, problems: ProblemList
) -> None:
    """The prompts must tell the caller each key: 'To hear X, press 1.'"""
    text = _written_text(node, prompts).lower()
    for key in keys:
        if not re.search(rf"\bpress ({key}|{_NUMBER_WORDS[int(key)]})\b", text):
            problems.add(
                _problem(
                    node,
                    f"never tells the caller to press {key}",
                    f'say the goal, then the key: "To hear ..., press {key}."',
                )
            )


def _check_length(node: Node, prompts: PromptBook, problems: ProblemList) -> None:
    words = word_count(_said_text(node, prompts))
    seconds = seconds_to_say(words)
    limit = MAX_MENU_SECONDS if isinstance(node, MenuNode) else MAX_BLOCK_SECONDS
    if seconds > limit:
        what = "menu" if isinstance(node, MenuNode) else "block"
        problems.add(
            _problem(
                node,
                f"takes about {seconds:.0f} s to say ({words} words)",
                f'keep a {what} under {limit:.0f} s: split it, with "to hear more, press 1"',
            )
        )


# The keys that work everywhere are announced once, at the start (the standards page).
WELCOME_KEYS = {"0": "press 0", "*": "press star", "#": "press hash", "9": "press 9"}


def _check_welcome(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    text = " ".join(prompts[p].text for p in flow.welcome if p in prompts).lower()
    for key, said in WELCOME_KEYS.items():
        if said not in text:
            problems.add(
                Problem(
                    *_where(flow.welcome[0] if flow.welcome else "", "flows"),
                    f"the welcome never tells callers the {key} key",
                    f'announce it once at the start: "..., {said}."',
                )
            )


def _check_codes(flow: Flow, problems: ProblemList) -> None:
    """Each part a caller reaches by keys has its own entry code, for staff to send callers to."""
    seen: dict[str, str] = {}
    if flow.start not in flow.nodes:
        return  # reported already
    for node_id, path in shortest_paths(flow).items():
        node = flow.nodes[node_id]
        by_keys = not any(isinstance(flow.nodes[n], TransferNode | CallbackNode) for n in path)
        if not node.code and by_keys and isinstance(node, MenuNode | InfoNode):
            problems.add(
                _problem(
                    node,
                    "has no entry code, so staff cannot send callers straight here",
                    'give it one of its own: code: "47" (2 or 3 digits, never reused)',
                    warning=True,
                )
            )
    for node in flow.nodes.values():
        if node.code in seen:
            problems.add(
                _problem(
                    node,
                    f"has entry code {node.code}, as {seen[node.code]} has",
                    "give each part its own code",
                )
            )
        elif node.code:
            seen[node.code] = node.id


def _check_answers(flow: Flow, problems: ProblemList) -> None:
    recorded = {n.records for n in flow.nodes.values() if isinstance(n, QuestionNode)}
    for node in flow.nodes.values():
        if isinstance(node, SummaryNode):
            for answer, _ in node.answers:
                if answer not in recorded:
                    problems.add(
                        _problem(
                            node,
                            f"summarises answer {answer!r}, which no question records",
                            _suggest(answer, recorded),
                        )
                    )
            summarised = {a for a, _ in node.answers}
            for answer in sorted(recorded - summarised):
                problems.add(
                    _problem(
                        node,
                        f"does not summarise answer {answer!r}",
                        f"add {answer}: <prompt id> under answers",
                    )
                )


def _check_prompt_use(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    used = set(flow.welcome) | set(SYSTEM_PROMPTS)
    for node in flow.nodes.values():
        used.update(node.prompt_ids())
    for prompt_id in flow.welcome:
        if prompt_id not in prompts:
            problems.add(
                Problem(
                    *_where(prompt_id, "flows"),
                    f"welcome plays unknown prompt {prompt_id!r}",
                    _suggest(prompt_id, prompts.prompts),
                )
            )
    for prompt_id, why in SYSTEM_PROMPTS.items():
        if prompt_id not in prompts:
            problems.add(
                Problem(
                    "prompts",
                    0,
                    f"missing prompt {prompt_id} (said {why})",
                    f"add it to prompts/{LANGUAGE}/{prompt_id.split('.')[0]}.yaml",
                )
            )
    for prompt in prompts.prompts.values():
        if prompt.id not in used:
            problems.add(
                Problem(
                    prompt.file,
                    prompt.line,
                    f"prompt {prompt.id} is never played",
                    "use it in a flow node, or delete it",
                )
            )


def check_readability(prompts: PromptBook, problems: ProblemList) -> None:
    """Every prompt long enough to score must be easy to follow."""
    for prompt in prompts.prompts.values():
        score = measure(prompt.text)
        if score.passes:
            continue
        problems.add(
            Problem(
                prompt.file,
                prompt.line,
                f"prompt {prompt.id} is hard to follow: reading ease {score.reading_ease:.0f} "
                f"(at least {MIN_READING_EASE:.0f}), {score.average_sentence:.1f} words a "
                f"sentence (at most {MAX_AVERAGE_SENTENCE:.0f})",
                "use shorter words and sentences, one idea each",
            )
        )


def check_review_date(flow: Flow, today: dt.date, problems: ProblemList) -> None:
    """Warn when the guidance the line speaks is past its review date."""
    if today >= flow.guidance.next_review:
        problems.add(
            Problem(
                flow.guidance.file,
                flow.guidance.line,
                f"the guidance was due for review on {flow.guidance.next_review}",
                "check the content against the current guidance and update `guidance:` dates",
                warning=True,
            )
        )


# ---------------------------------------------------------------- the graph


def menu_depths(flow: Flow) -> dict[str, int]:
    """How many menus below the start each node is (0-1 breadth-first search)."""
    depth = {flow.start: 0}
    queue = deque([flow.start])
    while queue:
        node = flow.nodes.get(queue.popleft())
        if node is None:
            continue
        step = 1 if node.deepens else 0
        for target in (*node.targets(), flow.operator):
            if target in flow.nodes and depth[node.id] + step < depth.get(target, 10**9):
                depth[target] = depth[node.id] + step
                (queue.append if step else queue.appendleft)(target)
    return depth


def _check_graph(flow: Flow, problems: ProblemList) -> None:
    if flow.start not in flow.nodes:
        return
    depths = menu_depths(flow)
    for node in flow.nodes.values():
        if node.id not in depths:
            problems.add(
                _problem(
                    node,
                    "cannot be reached from the start",
                    "add an option that leads here, or delete the node",
                )
            )
        elif depths[node.id] > MAX_DEPTH:
            problems.add(
                _problem(
                    node,
                    f"is {depths[node.id]} menus below the start",
                    f"keep every part within {MAX_DEPTH} menus of the start",
                )
            )


def shortest_paths(flow: Flow) -> dict[str, tuple[str, ...]]:
    """For each node, the fewest key presses from the start, as the list of nodes passed."""
    paths: dict[str, tuple[str, ...]] = {flow.start: (flow.start,)}
    queue = deque([flow.start])
    while queue:
        node = flow.nodes[queue.popleft()]
        for target in node.targets():
            if target in flow.nodes and target not in paths:
                paths[target] = (*paths[node.id], target)
                queue.append(target)
    return paths


def node_is_content(node: Node) -> bool:
    """Parts of the guidance, as opposed to the menus that lead to them."""
    return isinstance(node, InfoNode | QuestionNode | SummaryNode)


def check_transfers(flow: Flow, services: Mapping[str, object], problems: ProblemList) -> None:
    """A transfer goes to the nurse line, or to a service in data/services.yaml with a number."""
    for node in flow.nodes.values():
        if not isinstance(node, TransferNode) or node.to == "nurse_line":
            continue
        service = services.get(node.to.removeprefix("service:"))
        if service is None:
            problems.add(
                _problem(
                    node,
                    f"puts callers through to unknown {node.to!r}",
                    _suggest(node.to.removeprefix("service:"), services),
                )
            )
        elif getattr(service, "number", None) is None:
            problems.add(
                _problem(
                    node,
                    f"puts callers through to {node.to}, which has no number",
                    "give it a number in data/services.yaml, or remove the node",
                )
            )
