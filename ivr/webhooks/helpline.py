"""What the app built at start-up, for every view: one dataclass (`Helpline`), reached one way
(`helpline()`), put in place once by the app factory (`install`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from flask import Flask, current_app
from twilio.request_validator import RequestValidator

from ivr.audio.library import AudioLibrary
from ivr.call.engine import Engine
from ivr.call.steps import Step
from ivr.config import Settings
from ivr.content.load import Content
from ivr.store import Store
from ivr.webhooks.fallback import Fallback

# Where the app keeps its Helpline, among Flask's extensions.
_KEY = "ivr"


class FlowPicture(NamedTuple):
    """The call flow drawn for people: an SVG (None where Graphviz is missing or failed), the
    Mermaid text, and the tree of keys."""

    svg: str | None
    mermaid: str
    tree: str


@dataclass(frozen=True, eq=False)
class Helpline:
    """What the views need, built once at start-up (ivr.app.create_app)."""

    settings: Settings
    content: Content  # the flow and prompts, checked
    engine: Engine  # the call flow, step by step
    render: Callable[[Step], str]  # a step as TwiML
    fallback: Fallback  # what callers hear when the helpline itself has failed
    store: Store  # the journal of calls, callback requests, staff accounts
    flow_picture: Callable[[], FlowPicture]  # drawn on first use and kept, for the staff site
    # None in development without TWILIO_AUTH_TOKEN: signatures go unchecked (announced).
    validator: RequestValidator | None
    # The rendered prompts found at start-up, for <Play> and captions; None with
    # PROMPT_AUDIO=say, when every prompt is spoken with <Say>.
    audio: AudioLibrary | None


def helpline(app: Flask | None = None) -> Helpline:
    """What the app (this request's, unless given) built at start-up."""
    found: Helpline = (app or current_app).extensions[_KEY]
    return found


def install(app: Flask, built: Helpline) -> None:
    """Give the app what it built at start-up, for its views (once, in the app factory)."""
    app.extensions[_KEY] = built
