"""Did this call help? Once a call, at the end of a part the flow names (`feedback:`), before its
choices: 1 yes, 2 no. Silence skips it, and so does any other key, which then does what it
does there. Answers are kept with the part they follow, never with the call or a number."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from ivr.call.state import CallState, Waiting
from ivr.call.steps import Caller
from ivr.call.words import key_for_answer
from ivr.content.language import Language
from ivr.content.model import NO_KEY, YES_KEY, Flow, Node

ASK = "feedback.ask"
THANKS = "feedback.thanks"


class FeedbackBook(Protocol):
    """Where answers are kept (the store): never waits, never raises."""

    def feedback_asked(self, part: str, practice: bool) -> None: ...

    def feedback_given(self, part: str, helped: bool, practice: bool) -> None: ...


class Feedback:
    """Asks the question at the end of the parts the flow names, and keeps the answers."""

    def __init__(self, flow: Flow, book: FeedbackBook | None) -> None:
        self.parts = frozenset(flow.feedback)
        self.book = book

    def due(self, state: CallState, node: Node, replay: bool) -> bool:
        """Whether to ask now: at the end of a part it follows, once a call, never on a replay
        or in the middle of another question."""
        return node.id in self.parts and not state.asked and not replay and not state.phase

    def ask(self, state: CallState, caller: Caller) -> CallState:
        """The state while the question waits for its answer (counted as asked)."""
        if self.book is not None:
            self.book.feedback_asked(state.node, caller.practice)
        return replace(state, phase=Waiting.FEEDBACK, asked=True)

    def answer(
        self, state: CallState, keys: str, speech: str, language: Language, caller: Caller
    ) -> bool | None:
        """True for yes, False for no (kept), None for anything else (skipped)."""
        key = keys[:1] if keys else key_for_answer(speech, language) if speech else None
        if key not in (YES_KEY, NO_KEY):
            return None
        helped = key == YES_KEY
        if self.book is not None:
            self.book.feedback_given(state.node, helped, caller.practice)
        return helped
