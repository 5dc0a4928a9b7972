"""What the staff site shows of the follow-ups: whether calls helped, per part, on the
dashboard (a chart with its figures in a table), and the texts callers can ask for, on the flow
page. Template globals, so the pages that show them only include their part."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Flask

from ivr.content.texts import Text
from ivr.store.feedback import Helped
from ivr.webhooks.helpline import helpline

DAYS = 14  # the dashboard's period


@dataclass(frozen=True)
class HelpedPart:
    """One part's answers, with its title for people."""

    title: str
    figures: Helped


@dataclass(frozen=True)
class OfferedText:
    """A text as staff see it: where it is offered, and its length as sent."""

    id: str
    language: str
    parts: tuple[str, ...]
    text: Text


def helped_by_part() -> list[HelpedPart]:
    """Whether calls helped, per part, over the dashboard's period (real calls only)."""
    found = helpline()
    since = found.store.clock() - dt.timedelta(days=DAYS)
    nodes = found.engine.flow.nodes
    return [
        HelpedPart(nodes[h.part].title if h.part in nodes else h.part, h)
        for h in found.store.feedback_figures(since)
    ]


def offered_texts() -> list[OfferedText]:
    """Every text of every language, with the parts that offer it."""
    found = helpline()
    flow = found.engine.flow
    shown = []
    for code, book in found.content.texts.items():
        for text in book.texts.values():
            parts = tuple(flow.nodes[n].title for n, k in flow.texts.items() if k == text.id)
            shown.append(OfferedText(text.id, code, parts, text))
    return shown


def init_app(app: Flask) -> None:
    """Let the staff pages show the follow-ups."""
    app.jinja_env.globals.update(helped_by_part=helped_by_part, offered_texts=offered_texts)
