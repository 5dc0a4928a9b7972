"""Checks of putting callers through: ringing a service is a choice of its own, offered by its
own prompt; a transfer rings a line that can be rung; opens.<line> names a line with hours."""

from __future__ import annotations

from collections.abc import Mapping

from ivr.content.checks.rules import node_problem, suggest, written_at
from ivr.content.graph import keys_into
from ivr.content.model import (
    MAIN_MENU_KEY,
    NURSE_LINE,
    OPENS,
    ChoiceNode,
    Flow,
    Node,
    TransferNode,
    is_nurse_line,
)
from ivr.content.problems import Problem, ProblemList
from ivr.content.services import Service


def check_transfers(flow: Flow, services: Mapping[str, Service], problems: ProblemList) -> None:
    """A transfer rings the nurse line, or a service that can be rung; opens.<line> names one
    whose hours are known."""
    for node in flow.nodes.values():
        for prompt_id in node.prompt_ids():
            if prompt_id.startswith(OPENS):
                _check_opens(node, prompt_id, services, problems)
        if not isinstance(node, TransferNode) or node.rings_nurse:
            continue
        service = services.get(node.line_id)
        if service is None:
            problems.add(
                node_problem(
                    node,
                    f"puts callers through to unknown {node.to!r}",
                    suggest(node.line_id, services),
                    rule="service-dial",
                )
            )
            continue
        missing = [
            what
            for what, there in (
                ("no number", service.number),
                ("no known hours", service.hours),
                ("a number nobody has checked", service.checked),
            )
            if there is None
        ]
        if missing:
            problems.add(
                node_problem(
                    node,
                    f"puts callers through to {node.to}, which has {' and '.join(missing)}",
                    "give the service its number, hours and the date someone checked them in "
                    "data/services.yaml; or give callers the number and remove this node",
                    rule="service-dial",
                )
            )


def _check_opens(
    node: Node, prompt_id: str, services: Mapping[str, Service], problems: ProblemList
) -> None:
    line = prompt_id.removeprefix(OPENS)
    service = services.get(line)
    if is_nurse_line(line) or (service is not None and service.hours is not None):
        return
    why = "has no known hours" if service is not None else "is not a line"
    problems.add(
        Problem(
            *written_at(prompt_id, node.file),
            f"{prompt_id} says when {line} opens, but {line} {why}",
            f"write opens.{NURSE_LINE}, or opens.<service> for a service with hours in "
            "data/services.yaml",
            node.id,
            rule="opens-line",
        )
    )


def check_put_through(flow: Flow, problems: ProblemList) -> None:
    """Ringing an outside service is its own choice, offered, on a key nothing else shares."""
    into = keys_into(flow)
    for node in flow.nodes.values():
        if not isinstance(node, ChoiceNode):
            continue
        for option in node.options:
            target = flow.nodes.get(option.to)
            rings = isinstance(target, TransferNode) and not target.rings_nurse
            if option.offer and not rings:
                problems.add(
                    node_problem(
                        node,
                        f"option {option.key} has an offer but does not put callers through",
                        "remove `offer:`; it is for options that lead to a service's transfer",
                        rule="put-through-apart",
                    )
                )
            if not rings:
                continue
            why = []
            if not option.offer:
                why.append("it has no `offer:` prompt of its own")
            elif option.offer not in node.said_choices():
                why.append(f"its offer {option.offer} is not among the node's choices")
            if option.key == MAIN_MENU_KEY:
                why.append(f"{MAIN_MENU_KEY} is the main menu")
            if option.key in into.get(node.id, set()):
                why.append(f"{option.key} is also the key that leads here")
            if why:
                problems.add(
                    node_problem(
                        node,
                        f"option {option.key} puts callers through to {option.to}, but "
                        + "; ".join(why),
                        "give it `offer:` (a prompt of its own, listed in `choices:`) and a key "
                        "no way into this block uses",
                        rule="put-through-apart",
                    )
                )
