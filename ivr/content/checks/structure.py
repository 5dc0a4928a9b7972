"""Checks of the flow's shape: every name known, options, keys said, length, entry codes,
answers, prompts used, and a graph every part of which is reachable and not too deep."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ivr.content.checks.rules import node_problem, suggest, written_at
from ivr.content.graph import menu_depths, shortest_paths
from ivr.content.model import (
    LANGUAGE_PROMPTS,
    OPENS,
    SYSTEM_PROMPTS,
    TEXT_OFFERS,
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
    VoicemailNode,
    follow_up_prompts,
)
from ivr.content.problems import Problem, ProblemList
from ivr.content.readability import seconds_to_say, word_count

MAX_OPTIONS = 4
UK_NUMBER_DIGITS = 11  # a number read back to the caller, one word a digit
MAX_DEPTH = 3
MAX_MENU_SECONDS = 20.0
MAX_BLOCK_SECONDS = 60.0


def check_node(node: Node, flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    """The checks of one node on its own: names known, a way on, options, keys, length."""
    _check_known(node, node.targets(), flow.nodes, "leads to unknown node", problems)
    played = [p for p in node.prompt_ids() if not p.startswith(OPENS)]
    _check_known(node, played, prompts.prompts, "plays unknown prompt", problems)
    if node.targets() and not [t for t in node.targets() if t != node.id]:
        problems.add(
            node_problem(
                node,
                "has no way on: every choice leads back to itself",
                "add an option that leads to another part",
                rule="graph",
            )
        )
    if isinstance(node, ChoiceNode):
        _check_options(node, problems)
    if isinstance(node, CallbackNode) and not node.privacy:
        problems.add(
            node_problem(
                node,
                "takes a number without saying how it is kept",
                "add `privacy: callback.kept`: how long the number is kept, said first",
                rule="callback-privacy",
            )
        )
    if isinstance(node, VoicemailNode) and not node.privacy:
        problems.add(
            node_problem(
                node,
                "records a message without saying how it is kept",
                "add `privacy: voicemail.kept`: who hears it and how long it is kept, said first",
                rule="voicemail-privacy",
            )
        )
    _check_length(node, prompts, problems)


def check_settings(flow: Flow, problems: ProblemList) -> None:
    """The flow starts at a menu, and 0 leads to a transfer node."""
    start, operator = flow.node(flow.start), flow.node(flow.operator)
    if not isinstance(start, MenuNode):
        problems.add(
            Problem(
                *written_at(flow.start, "flows"),
                f"start {flow.start!r} is not a menu node",
                suggest(flow.start, flow.nodes) if start is None else "make the first node a menu",
                rule="graph",
            )
        )
    if not isinstance(operator, TransferNode):
        problems.add(
            Problem(
                *written_at(flow.operator, "flows"),
                f"operator {flow.operator!r} is not a transfer node",
                "point `operator:` at the nurse line's transfer node",
                rule="graph",
            )
        )


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
            line = written_at(name, node.file)[1] or node.line  # strings from YAML know their line
            # The sentences opens.<line> stands for are made, not written: never suggested.
            names = (k for k in known if not k.startswith(OPENS) or k.count(".") == 1)
            problems.add(
                Problem(
                    node.file,
                    line,
                    f"{what} {name!r}",
                    suggest(name, names),
                    node.id,
                    rule="graph" if what.startswith("leads") else "prompt-use",
                )
            )


def _check_options(node: ChoiceNode, problems: ProblemList) -> None:
    """Options numbered 1 to MAX_OPTIONS with no gaps."""
    keys = [option.key for option in node.options]
    expected = [str(n) for n in range(1, len(keys) + 1)]
    if keys != expected:
        problems.add(
            node_problem(
                node,
                f"numbers its options {', '.join(keys)}",
                f"number them {', '.join(expected)} with no gaps",
                rule="options",
            )
        )
    if len(keys) > MAX_OPTIONS:
        problems.add(
            node_problem(
                node,
                f"has {len(keys)} numbered options",
                f"keep to {MAX_OPTIONS}: split the menu or move some options",
                rule="options",
            )
        )


def _said_text(node: Node, prompts: PromptBook) -> str:
    """What the voice says: spoken forms, where numbers read digit by digit take longer."""
    return " ".join(prompts[p].spoken for p in node.prompt_ids() if p in prompts)


def _check_length(node: Node, prompts: PromptBook, problems: ProblemList) -> None:
    words = word_count(_said_text(node, prompts))
    if isinstance(node, SummaryNode):
        # The longest it can be: every answer a yes (or none), never both.
        def said(ids: Iterable[str]) -> int:
            return word_count(" ".join(prompts[p].spoken for p in ids if p in prompts))

        answers = max(said(p for _, p in node.answers), said((node.none,)))
        words = said((*node.say, *node.after, *node.then)) + answers
    if isinstance(node, CallbackNode):
        # Its first question, the longest: the caller's own number read back, to confirm.
        first = (*node.say, node.privacy, "callback.own", "callback.own_confirm")
        words = word_count(" ".join(prompts[p].spoken for p in first if p in prompts))
        words += UK_NUMBER_DIGITS
    seconds = seconds_to_say(words)
    limit = MAX_MENU_SECONDS if isinstance(node, MenuNode) else MAX_BLOCK_SECONDS
    if seconds > limit:
        what = "menu" if isinstance(node, MenuNode) else "block"
        problems.add(
            node_problem(
                node,
                f"takes about {seconds:.0f} s to say ({words} words)",
                f'keep a {what} under {limit:.0f} s: split it, with "to hear more, press 1"',
                rule="length",
            )
        )


def check_codes(flow: Flow, problems: ProblemList) -> None:
    """Each part a caller reaches by keys has its own entry code, for staff to send callers to."""
    seen: dict[str, str] = {}
    if flow.start not in flow.nodes:
        return  # reported already
    for node_id, path in shortest_paths(flow).items():
        node = flow.nodes[node_id]
        by_keys = not any(isinstance(flow.nodes[n], TransferNode | CallbackNode) for n in path)
        if not node.code and by_keys and isinstance(node, MenuNode | InfoNode):
            problems.add(
                node_problem(
                    node,
                    "has no entry code, so staff cannot send callers straight here",
                    'give it one of its own: code: "47" (2 or 3 digits, never reused)',
                    warning=True,
                    rule="entry-codes",
                )
            )
    for node in flow.nodes.values():
        if node.code in seen:
            problems.add(
                node_problem(
                    node,
                    f"has entry code {node.code}, as {seen[node.code]} has",
                    "give each part its own code",
                    rule="entry-codes",
                )
            )
        elif node.code:
            seen[node.code] = node.id


def check_answers(flow: Flow, problems: ProblemList) -> None:
    """The summary covers exactly the answers the questions record."""
    recorded = {n.records for n in flow.nodes.values() if isinstance(n, QuestionNode)}
    for node in flow.nodes.values():
        if isinstance(node, SummaryNode):
            for answer, _ in node.answers:
                if answer not in recorded:
                    problems.add(
                        node_problem(
                            node,
                            f"summarises answer {answer!r}, which no question records",
                            suggest(answer, recorded),
                            rule="answers",
                        )
                    )
            summarised = {a for a, _ in node.answers}
            for answer in sorted(recorded - summarised):
                problems.add(
                    node_problem(
                        node,
                        f"does not summarise answer {answer!r}",
                        f"add {answer}: <prompt id> under answers",
                        rule="answers",
                    )
                )


def check_prompt_use(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    """Every prompt played exists, the engine's own included, and every prompt is played."""
    # A flow names its first language only where prompts/ holds several (ivr check).
    languages = LANGUAGE_PROMPTS if flow.language else {}
    needed = {**SYSTEM_PROMPTS, **follow_up_prompts(flow), **languages}
    # The way into another language may be written before the line offers one.
    used = set(flow.welcome) | set(needed) | set(LANGUAGE_PROMPTS)
    used |= set(TEXT_OFFERS) if flow.texts else set()
    for node in flow.nodes.values():
        used.update(node.prompt_ids())
    for prompt_id in flow.welcome:
        if prompt_id not in prompts:
            problems.add(
                Problem(
                    *written_at(prompt_id, "flows"),
                    f"welcome plays unknown prompt {prompt_id!r}",
                    suggest(prompt_id, prompts.prompts),
                    rule="prompt-use",
                )
            )
    for prompt_id, why in needed.items():
        if prompt_id not in prompts:
            problems.add(
                Problem(
                    "prompts",
                    0,
                    f"missing prompt {prompt_id} (said {why})",
                    f"add it to prompts/{prompts.language}/{prompt_id.split('.')[0]}.yaml",
                    rule="prompt-use",
                )
            )
    for prompt in prompts.prompts.values():
        # The sentences that say when a line opens are played in place of opens.<line>.
        if prompt.id not in used and not prompt.id.startswith(OPENS):
            problems.add(
                Problem(
                    prompt.file,
                    prompt.line,
                    f"prompt {prompt.id} is never played",
                    "use it in a flow node, or delete it",
                    rule="prompt-use",
                )
            )


def check_graph(flow: Flow, problems: ProblemList) -> None:
    """Every node is reachable from the start, within MAX_DEPTH menus."""
    if flow.start not in flow.nodes:
        return
    depths = menu_depths(flow)
    for node in flow.nodes.values():
        if node.id not in depths:
            problems.add(
                node_problem(
                    node,
                    "cannot be reached from the start",
                    "add an option that leads here, or delete the node",
                    rule="graph",
                )
            )
        elif depths[node.id] > MAX_DEPTH:
            problems.add(
                node_problem(
                    node,
                    f"is {depths[node.id]} menus below the start",
                    f"keep every part within {MAX_DEPTH} menus of the start",
                    rule="graph",
                )
            )
