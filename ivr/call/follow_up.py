"""What follows up a part: the offer of a text (ivr.call.texting) and the question of whether
the call helped (ivr.call.feedback), joined to the engine where a caller arrives at a part,
presses a key, answers, or comes back from a call to a service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from ivr.call.feedback import ASK, THANKS, Feedback, FeedbackBook
from ivr.call.state import CallState, Decoded
from ivr.call.steps import NOBODY, Ask, Caller, Goodbye, Step
from ivr.call.texting import Texting, TextSender
from ivr.content.language import Languages
from ivr.content.model import MAIN_MENU_KEY, OPERATOR_KEY, Flow, Node, TransferNode

AFTER_CALL = "system.after_call"
# What a key means at a kind of node, as the engine has it (None: nothing there).
KeyHandler = Callable[[CallState, Any, str, Caller], Step | None]


class Moves(Protocol):
    """What follow-ups ask of the engine: arrive at a node, act on a key, or on any input."""

    def visit(
        self,
        state: CallState,
        first: tuple[str, ...] = (),
        replay: bool = False,
        caller: Caller = NOBODY,
    ) -> Step: ...

    def press(self, state: CallState, node: Node, key: str, caller: Caller = NOBODY) -> Step: ...

    def respond(
        self, decoded: Decoded, keys: str = "", speech: str = "", caller: Caller = NOBODY
    ) -> Step: ...


class FollowUp:
    """The offer of a text and the question of whether the call helped, in one place."""

    def __init__(self, flow: Flow, engine: Moves, languages: Languages) -> None:
        self.flow = flow
        self.engine = engine
        self.languages = languages
        self.texting = Texting(flow, None)
        self.feedback = Feedback(flow, None)

    def connect(self, texts: TextSender | None, feedback: FeedbackBook | None) -> None:
        """Where texts are sent from (none are offered without it) and answers kept (without
        it the question is asked, and its answers go nowhere): set up by the app."""
        self.texting.sender = texts
        self.feedback.book = feedback

    def arriving(
        self,
        state: CallState,
        node: Node,
        prompts: tuple[str, ...],
        replay: bool,
        caller: Caller,
        choices: Callable[[], tuple[str, ...]],
    ) -> tuple[tuple[str, ...], CallState]:
        """A part's prompts with the offer of a text among its choices; at the end of a part
        the flow names, the question in place of the choices (they follow the answer)."""
        prompts = self.texting.with_offer(prompts, state, node, caller)
        if not self.feedback.due(state, node, replay):
            return prompts, state
        tail = self.texting.with_offer(choices(), state, node, caller)
        ends_with_choices = tail and prompts[len(prompts) - len(tail) :] == tail
        head = prompts[: len(prompts) - len(tail)] if ends_with_choices else prompts
        return (*head, ASK), self.feedback.ask(state, caller)

    def press(
        self, state: CallState, node: Node, key: str, caller: Caller, otherwise: KeyHandler
    ) -> Step | None:
        """The key that sends a text, where one is offered; any other key as `otherwise` says
        (the node's own keys: None where it means nothing there)."""
        pressed = self.texting.press(state, node, key, caller)
        if pressed is None:
            return otherwise(state, node, key, caller)
        after, first, whole = pressed
        return self.engine.visit(after, first, replay=not whole, caller=caller)

    def answered(
        self, state: CallState, node: Node, keys: str, speech: str, caller: Caller
    ) -> Step:
        """The answer to whether the call helped: thanks, then the choices (or, after a call to
        a service, the goodbye). Silence skips it; any other key does what it does here."""
        language = self.languages[state.language]
        helped = self.feedback.answer(state, keys, speech, language, caller)
        clear = replace(state, phase="", silences=0, wrong=0)
        thanks = (THANKS,) if helped is not None else ()
        if isinstance(node, TransferNode):
            if helped is None and keys[:1] in (OPERATOR_KEY, MAIN_MENU_KEY):
                return self.engine.press(clear, node, keys[:1], caller)
            return Goodbye((*thanks, AFTER_CALL), clear)
        if helped is not None or (not keys and not speech):
            return self.engine.visit(clear, thanks, replay=True, caller=caller)
        return self.engine.respond(Decoded(clear, stale=False), keys, speech, caller)

    def after_call(self, state: CallState, caller: Caller) -> Step:
        """After a call to a person: the goodbye; after one to a service the flow names, the
        question first."""
        node = self.flow.nodes[state.node]
        if not self.feedback.due(state, node, replay=False):
            return Goodbye((AFTER_CALL,), state)
        hints = self.languages[state.language].yes_no_hints
        return Ask((ASK,), self.feedback.ask(state, caller), hints)
