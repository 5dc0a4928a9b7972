"""The summary `ivr check` prints: problems first, then what a caller can hear and how far away."""

from __future__ import annotations

import datetime as dt

from ivr.checks import node_is_content, shortest_paths
from ivr.config import Settings
from ivr.content import Content, collect_content
from ivr.engine import PUT_THROUGH_AFTER_SILENCES
from ivr.model import Node
from ivr.readability import measure, seconds_to_say, word_count


def _node_words(content: Content, node: Node) -> int:
    return sum(word_count(content.prompts[p].text) for p in node.prompt_ids())


def content_report(settings: Settings, today: dt.date) -> tuple[str, bool]:
    """The text of the report, and whether the content passed."""
    content, problems = collect_content(
        settings.content_dir, settings.service_name, settings.nurse_line_hours, today)
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
    lines += [
        f"Longest: {longest[0]} key presses and {longest[1]} words, to {longest[2]}.",
        "",
        f"The nurse line: key 0 from every node (1 key press). From the start: "
        f"{welcome + _node_words(content, flow.nodes[flow.start])} words if the caller listens "
        f"to the whole welcome and menu first; with no keys at all, after "
        f"{PUT_THROUGH_AFTER_SILENCES} silences of {settings.gather_timeout} s "
        f"(about {seconds_to_say(welcome + _node_words(content, flow.nodes[flow.start])) * 2 + PUT_THROUGH_AFTER_SILENCES * settings.gather_timeout:.0f} s).",
        "",
        "OK: the content passes every check.",
    ]
    return lines
