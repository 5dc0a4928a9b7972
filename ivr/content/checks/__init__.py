"""Check a loaded flow and its prompts as a whole: every problem with file, node and a fix.

Each check names one of the RULES; the checks are grouped by what they look at: the flow's
shape (structure), what callers hear (hearing), the prompts read with the language's own words
(language_use), and putting callers through (put_through).
"""

from __future__ import annotations

from ivr.content.checks.hearing import (
    check_main_menu,
    check_readability,
    check_review_date,
    check_safety,
    check_summary,
)
from ivr.content.checks.language_use import check_language_use
from ivr.content.checks.put_through import check_put_through, check_transfers
from ivr.content.checks.rules import RULES
from ivr.content.checks.structure import (
    MAX_MENU_SECONDS,
    check_answers,
    check_codes,
    check_graph,
    check_node,
    check_prompt_use,
    check_settings,
)
from ivr.content.model import Flow, PromptBook
from ivr.content.problems import ProblemList

__all__ = [
    "MAX_MENU_SECONDS",
    "RULES",
    "check_flow",
    "check_language_use",
    "check_readability",
    "check_review_date",
    "check_transfers",
]


def check_flow(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    """Run every check on the flow; problems are added, nothing is raised."""
    check_settings(flow, problems)
    for node in flow.nodes.values():
        check_node(node, flow, prompts, problems)
    check_answers(flow, problems)
    check_summary(flow, prompts, problems)
    check_safety(flow, prompts, problems)
    check_main_menu(flow, prompts, problems)
    check_put_through(flow, problems)
    check_codes(flow, problems)
    check_prompt_use(flow, prompts, problems)
    check_graph(flow, problems)
