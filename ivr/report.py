"""The summary `ivr check` prints: problems first, then what a caller can hear and how far away."""

from __future__ import annotations

import datetime as dt

from ivr.checks import node_is_content, shortest_paths
from ivr.config import Settings
from ivr.content import Content, collect_content
from ivr.engine import PUT_THROUGH_AFTER_SILENCES
from ivr.model import ChoiceNode, Node, QuestionNode
from ivr.readability import measure, seconds_to_say, word_count


def _node_words(content: Content, node: Node) -> int:
    return sum(word_count(content.prompts[p].text) for p in node.prompt_ids())


def content_report(settings: Settings, today: dt.date) -> tuple[str, bool]:
    """The text of the report, and whether the content passed."""
    content, problems = collect_content(
        settings.content_dir, settings.service_name, settings.nurse_line_hours, today
    )
    lines = [str(p) for p in problems.errors()] + [str(p) for p in problems.warnings()]
    if content is None:
        lines.append(f"\nFAILED: {len(problems.errors())} problem(s) in the call flow or prompts.")
        return "\n".join(lines), False
    lines += summary(content, settings)
    return "\n".join(lines), True


def summary(content: Content, settings: Settings) -> list[str]:
    """Counts, readability and the path to every part of the guidance."""
    flow, prompts = content.flow, content.prompts
    texts = [p.text for p in prompts.prompts.values()]
    scores = [measure(t) for t in texts if measure(t).scored]
    welcome = sum(word_count(prompts[p].text) for p in flow.welcome)
    paths = shortest_paths(flow)
    lines = [
        "",
        f"Nodes: {len(flow.nodes)}   Prompts: {len(prompts.prompts)}   "
        f"Words: {sum(word_count(t) for t in texts)}",
        f"Reading ease: lowest {min(s.reading_ease for s in scores):.0f}, "
        f"mean {sum(s.reading_ease for s in scores) / len(scores):.0f} "
        f"(over {len(scores)} prompts of 12+ words)",
        f"Guidance: {flow.guidance.source}; reviewed {flow.guidance.reviewed}, "
        f"next review {flow.guidance.next_review}",
        "",
        "Shortest way from the start to each part (key presses; words heard first if the caller",
        "listens to every prompt before pressing, welcome included):",
    ]
    rows = []
    for node_id, path in paths.items():
        node = flow.nodes[node_id]
        if not node_is_content(node):
            continue
        heard = welcome + sum(_node_words(content, flow.nodes[n]) for n in path[:-1])
        rows.append((len(path) - 1, heard, node_id, node.title))
    for presses, heard, node_id, title in sorted(rows, key=lambda r: (r[0], r[1])):
        lines.append(f"  {presses:>2} keys  {heard:>4} words  {node_id:<24} {title}")
    longest = max(rows, key=lambda r: (r[0], r[1]))
    first_menu = welcome + _node_words(content, flow.nodes[flow.start])
    # With no keys: the welcome and menu, a silence, the hint and menu again, a second silence.
    again = word_count(prompts["system.no_input"].text) + _node_words(
        content, flow.nodes[flow.start]
    )
    unaided = (
        seconds_to_say(first_menu + again) + PUT_THROUGH_AFTER_SILENCES * settings.gather_timeout
    )
    lines += [
        f"Longest: {longest[0]} key presses and {longest[1]} words, to {longest[2]}.",
        "",
        f"The nurse line: key 0 from every node (1 key press). From the start: {first_menu} "
        "words if the caller listens to the whole welcome and menu first; with no keys at all, "
        f"after {PUT_THROUGH_AFTER_SILENCES} silences of {settings.gather_timeout} s "
        f"(about {unaided:.0f} s).",
        "",
        "OK: the content passes every check.",
    ]
    return lines


def call_map(content: Content) -> list[str]:
    """The call as a tree of keys, each part shown once, where it is nearest the start."""
    flow = content.flow
    paths = shortest_paths(flow)
    lines = [f"{flow.nodes[flow.start].title} ({flow.start})"]
    shown = {flow.start}

    def walk(node_id: str, indent: str) -> None:
        node = flow.nodes[node_id]
        branches: list[tuple[str, str]] = []
        if isinstance(node, ChoiceNode):
            branches = [(option.key, option.to) for option in node.options]
        elif isinstance(node, QuestionNode):
            branches = [("1 yes", node.yes), ("2 no", node.no)]
        for key, target in branches:
            child = flow.nodes[target]
            owned = paths.get(target, ())[-2:-1] == (node_id,) and target not in shown
            if owned:
                shown.add(target)
            mark = "" if owned else "  (see its own entry)"
            lines.append(f"{indent}{key:>5} -> {child.title} ({target}){mark}")
            if owned:
                walk(target, indent + "        ")

    walk(flow.start, "")
    operator = flow.nodes[flow.operator]
    lines.append(f"    0 -> {operator.title} ({flow.operator}), from every part")
    lines.append("    * -> back one step;  # -> hear this again")
    return lines
