"""The flow and its prompts, loaded and checked together: what the helpline starts with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ivr.content.checks import check_flow, check_readability, check_review_date, check_transfers
from ivr.content.flows import load_flow
from ivr.content.hours import Hours, nurse_hours_sentence, opening_sentence, possible_openings
from ivr.content.model import DEFAULT_RUN_BY, LANGUAGE, OPENS, Flow, Prompt, PromptBook
from ivr.content.problems import Problem, ProblemList
from ivr.content.prompts import (
    HOURS_FILE,
    RawPrompt,
    check_vocabulary,
    fill_prompts,
    load_raw_prompts,
)
from ivr.content.services import (
    Service,
    check_services,
    line_hours,
    load_services,
    prompt_values,
)
from ivr.content.wording import check_editorial, check_text, load_wording


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
    run_by: str = DEFAULT_RUN_BY,
) -> tuple[Content | None, ProblemList]:
    """Load and check everything under root (flows/, prompts/en-GB/, data/), keeping every
    problem.

    The editorial rules (readability, the choices' words, phrases to avoid) are for `ivr check`
    and the tests; start-up skips them, so a long SERVICE_NAME can lower a score without
    stopping the helpline. The rules about safety and honesty run at start-up too.
    """
    problems = ProblemList()
    raw = load_raw_prompts(root / "prompts" / LANGUAGE, problems, root)
    vocabulary = {i: raw.pop(i) for i in list(raw) if i.startswith(HOURS_FILE)}
    hours_words = {i: p.text for i, p in vocabulary.items()}
    words = hours_words.__getitem__
    # The hours are only said once their words are known to be whole and well-formed.
    words_ok = check_vocabulary(vocabulary, problems)
    spoken = nurse_hours_sentence(hours, words) if words_ok else ""
    services = load_services(root, problems)
    said = (
        prompt_values(services, words, lambda i: raw[i].spoken if i in raw else "")
        if words_ok
        else ({}, {})
    )
    values = {"service": service, "nurse_hours": spoken, "run_by": run_by}
    prompts = fill_prompts(raw, values, problems, said)
    flow = load_flow(root / "flows", problems, root)
    wording = load_wording(root, LANGUAGE, problems)
    if flow is None or wording is None or problems.errors():
        return None, problems
    prompts = PromptBook(
        MappingProxyType(
            {**prompts.prompts, **_opening_prompts(flow, hours, services, vocabulary, words)}
        )
    )
    check_flow(flow, prompts, problems)
    check_text(prompts, raw, words, hours, wording, problems)
    if readability:
        check_readability(prompts, problems)
        check_editorial(flow, prompts, wording, problems)
    check_review_date(flow, today or dt.date.today(), problems)
    check_services(services, today or dt.date.today(), problems)
    check_transfers(flow, services, problems)
    if problems.errors():
        return None, problems
    return Content(flow, prompts, tuple(problems.warnings()), services), problems


def _opening_prompts(
    flow: Flow,
    hours: Hours,
    services: Mapping[str, Service],
    vocabulary: Mapping[str, RawPrompt],
    words: Callable[[str], str],
) -> dict[str, Prompt]:
    """The sentences that say when a closed line opens ("It opens tomorrow at 8 in the
    morning."), for each line the flow names with opens.<line>: every one its hours can need,
    made once so that each is rendered like any other prompt."""
    lines = {
        prompt_id.removeprefix(OPENS)
        for node in flow.nodes.values()
        for prompt_id in node.prompt_ids()
        if prompt_id.startswith(OPENS)
    }
    made: dict[str, Prompt] = {}
    for line in sorted(lines):
        known = line_hours(line, hours, services)
        if known is None:
            continue  # reported by the checks (opens-line)
        for opening in possible_openings(known):
            word = vocabulary[
                f"hours.opens_{opening.when if opening.when in ('today', 'tomorrow') else 'on'}"
            ]
            text = opening_sentence(opening, words)
            prompt_id = opening.prompt_id(line)
            made[prompt_id] = Prompt(prompt_id, text, text, word.file, word.line)
    return made


def load_content(
    root: Path,
    service: str,
    hours: Hours,
    today: dt.date | None = None,
    run_by: str = DEFAULT_RUN_BY,
) -> Content:
    """Load and check the content for start-up; raise ContentError naming every problem."""
    content, problems = collect_content(
        root, service, hours, today, readability=False, run_by=run_by
    )
    problems.raise_if_any()
    assert content is not None  # no errors means the content was built
    return content
