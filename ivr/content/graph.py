"""The flow as a graph: how deep each node is, the shortest way to it, the keys into it."""

from __future__ import annotations

from collections import deque

from ivr.content.model import Flow, InfoNode, Node, QuestionNode, SummaryNode


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


def keys_into(flow: Flow) -> dict[str, set[str]]:
    """For each node, the keys that lead into it from another node."""
    into: dict[str, set[str]] = {}
    for node in flow.nodes.values():
        for key, target in node.keyed():
            if target != node.id:
                into.setdefault(target, set()).add(key)
    return into
