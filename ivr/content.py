"""The flow and its prompts, loaded and checked together: what the helpline starts with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ivr.checks import check_flow, check_readability, check_review_date, check_transfers
from ivr.flows import load_flow
from ivr.hours import Hours, spoken_hours
from ivr.model import LANGUAGE, Flow, PromptBook
from ivr.problems import Problem, ProblemList
from ivr.prompts import HOURS_FILE, check_vocabulary, fill_prompts, load_raw_prompts
from ivr.services import Service, check_services, load_services, prompt_values


@dataclass(frozen=True)
class Content:
    """The flow and its prompts, loaded and checked; warnings do not stop the helpline."""

    flow: Flow
    prompts: PromptBook
    warnings: tuple[Problem, ...]
    services: Mapping[str, Service] = field(default_factory=dict)


def collect_content(
    root: Path,
    service: str,
    hours: Hours,
    today: dt.date | None = None,
    readability: bool = True,
) -> tuple[Content | None, ProblemList]:
    """Load and check everything under root (flows/ and prompts/en-GB/), keeping every problem.

    Readability is for `ivr check` and the tests; start-up skips it, so a long SERVICE_NAME can
    lower a score without stopping the helpline.
    """
    problems = ProblemList()
    raw = load_raw_prompts(root / "prompts" / LANGUAGE, problems, root)
    vocabulary = {i: raw.pop(i) for i in list(raw) if i.startswith(HOURS_FILE)}
    hours_words = {i: p.text for i, p in vocabulary.items()}
    # The hours are only said once their words are known to be whole and well-formed.
    words_ok = check_vocabulary(vocabulary, problems)
    spoken = spoken_hours(hours, hours_words.__getitem__) if words_ok else ""
    services = load_services(root, problems)
    said = (
        prompt_values(
            services, hours_words.__getitem__, lambda i: raw[i].spoken if i in raw else ""
        )
        if words_ok
        else ({}, {})
    )
    values = {"service": service, "nurse_hours": spoken}
    prompts = fill_prompts(raw, values, problems, said)
    flow = load_flow(root / "flows", problems, root)
    if flow is None or problems.errors():
        return None, problems
    check_flow(flow, prompts, problems)
    if readability:
        check_readability(prompts, problems)
    check_review_date(flow, today or dt.date.today(), problems)
    check_services(services, today or dt.date.today(), problems)
    check_transfers(flow, services, problems)
    if problems.errors():
        return None, problems
    return Content(flow, prompts, tuple(problems.warnings()), services), problems


def load_content(root: Path, service: str, hours: Hours, today: dt.date | None = None) -> Content:
    """Load and check the content for start-up; raise ContentError naming every problem."""
    content, problems = collect_content(root, service, hours, today, readability=False)
    problems.raise_if_any()
    assert content is not None  # no errors means the content was built
    return content
