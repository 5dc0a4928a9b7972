"""What the caller hears on arriving at a node: its prompts as they are to be said now (an
offer to put them through only while the line can be rung, when a closed line opens), the
line it rings, or the call-back dialogue."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from ivr.call.callback import CallbackDialogue
from ivr.call.follow_up import FollowUp
from ivr.call.lines import Lines
from ivr.call.nurse_line import NurseLine
from ivr.call.state import CallState
from ivr.call.steps import NOBODY, Ask, Caller, Record, Step, Transfer
from ivr.call.words import hints_for
from ivr.content.language import Languages
from ivr.content.model import (
    LANGUAGE_OFFER_PROMPT,
    NODE_KINDS,
    ChoiceNode,
    Flow,
    Node,
    TransferNode,
    VoicemailNode,
)

# How the caller arrives at each kind of node; each takes the kind it is listed for.
Arrive = Callable[[CallState, Any, tuple[str, ...], bool, Caller], Step]


class Arrival:
    """Arriving at a node, by its kind: a node that plays prompts and waits, a transfer that
    rings, a callback node that asks for a number."""

    def __init__(
        self,
        flow: Flow,
        lines: Lines,
        dialogue: CallbackDialogue,
        languages: Languages,
        nurse_line: NurseLine,
    ) -> None:
        self.flow = flow
        self.lines = lines
        self.nurse_line = nurse_line
        self.languages = languages
        self.follow_up: FollowUp | None = None  # texts offered, whether the call helped
        # The recogniser's hints at each node, in each language.
        self.hints = {
            code: {node.id: hints_for(node, words) for node in flow.nodes.values()}
            for code, words in languages.words.items()
        }
        # Options that put the caller through, by the prompt that offers each, per node.
        self.offers = {
            node.id: node.offers() for node in flow.nodes.values() if isinstance(node, ChoiceNode)
        }
        self.by_kind: Mapping[str, Arrive] = {
            "menu": self._ask,
            "info": self._ask,
            "summary": self._ask,
            "question": self._ask,
            "transfer": self._ring,
            "callback": lambda state, node, first, _, caller: dialogue.ask(
                state, node, first, caller
            ),
            "voicemail": self._record,
        }
        assert set(self.by_kind) == set(NODE_KINDS)

    def at_start(self, language: str, slow: bool = False) -> CallState:
        """The state of a call at the start, in a language ("" or one not offered: the first)."""
        return CallState(self.flow.start, slow=slow, language=self.languages.in_state(language))

    def start(self, language: str) -> Step:
        """A new call: the way into each other language the line offers, said in that language
        ("cy-GB/welcome.language"), then the welcome, inside the first menu so that 0 and 7
        work from the first word."""
        state = self.at_start(language)
        offers = tuple(
            f"{code}/{LANGUAGE_OFFER_PROMPT}"
            for code in self.languages.order()
            if code != self.languages[state.language].code
        )
        return self.visit(state, (*offers, *self.flow.welcome))

    def enter(self, node: Node | None, slow: bool, language: str) -> Step:
        """Straight to a part by its entry code (None: not a known code), as staff send a
        caller, who hears which part it is in their language."""
        state = self.at_start(language, slow)
        if node is None:
            return self.visit(state, ("system.entry_unknown",))
        state = replace(state, node=node.id, history=(self.flow.start,))
        prompts = ("system.entry", *self.prompts_for(node, state))
        part = self.languages[state.language].part(node.id, node.title)
        return Ask(prompts, state, self.hints_at(state, node), fill=(("part", part),))

    def hints_at(self, state: CallState, node: Node) -> tuple[str, ...]:
        """The words the recogniser listens for at the node, in the caller's language."""
        return self.hints[self.languages[state.language].code][node.id]

    def visit(
        self,
        state: CallState,
        first: tuple[str, ...] = (),
        replay: bool = False,
        caller: Caller = NOBODY,
    ) -> Step:
        """Arrive at the node in the state, after the `first` prompts.

        A replay (after a silence or a wrong key) plays only the choices, not the whole block.
        """
        node = self.flow.nodes[state.node]
        return self.by_kind[node.kind](state, node, first, replay, caller)

    def _ask(
        self, state: CallState, node: Node, first: tuple[str, ...], replay: bool, caller: Caller
    ) -> Step:
        """A node that plays prompts and waits for the caller."""
        prompts = self.prompts_for(node, state, replay)
        if self.follow_up is not None:
            prompts, state = self.follow_up.arriving(
                state, node, prompts, replay, caller, lambda: self.prompts_for(node, state, True)
            )
        return Ask(self.lines.resolved((*first, *prompts)), state, self.hints_at(state, node))

    def _ring(
        self,
        state: CallState,
        node: TransferNode,
        first: tuple[str, ...],
        replay: bool,
        caller: Caller,
    ) -> Step:
        """Put the caller through; while the line cannot be rung, go where it says instead."""
        if self.lines.can_ring(node):
            if node.rings_nurse:
                return self.nurse_line.ring(state, node, self.lines.resolved(first), caller)
            said = self.lines.resolved((*first, *node.say))
            return Transfer(said, state, self.lines.service_number(node), whisper=False)
        closed = state.moved_to(node.closed, remember=False, silences=state.silences)
        # Why, once: the node it falls back to says it where it would have offered the line.
        offered_there = any(o.to == node.id for o in self.offers.get(node.closed, {}).values())
        told = self.lines.closed_by_hours(node) and not offered_there
        return self.visit(closed, (*first, *(node.closed_say if told else ())), caller=caller)

    def _record(
        self,
        state: CallState,
        node: VoicemailNode,
        first: tuple[str, ...],
        replay: bool,
        caller: Caller,
    ) -> Step:
        """A message for the nurses: how it is kept, how to record, then the tone."""
        privacy = (node.privacy,) if node.privacy else ()
        prompts = (*first, *node.say, *privacy, "voicemail.how")
        return Record(self.lines.resolved(prompts), state)

    def recorded(self, state: CallState, saved: bool, caller: Caller) -> Step:
        """After a voicemail node's recording: that it was kept, or that nothing was."""
        node = self.flow.nodes[state.node]
        if not isinstance(node, VoicemailNode):
            return self.visit(state.moved_to(self.flow.start), caller=caller)
        target, said = (
            (node.saved, "voicemail.saved") if saved else (node.failed, "voicemail.nothing")
        )
        return self.visit(state.moved_to(target, remember=False), (said,), caller=caller)

    def prompts_for(self, node: Node, state: CallState, replay: bool = False) -> tuple[str, ...]:
        """A node's prompts as they are to be said now: a summary's advice for each yes, an
        offer to put the caller through only while the line can be rung, when a line opens."""
        offers = self.offers.get(node.id, {})
        result: list[str] = []
        for prompt_id in node.plays(state.yes, replay):
            option = offers.get(prompt_id)
            target = self.flow.nodes[option.to] if option is not None else None
            if isinstance(target, TransferNode) and not self.lines.can_ring(target):
                # Instead of the offer: that it is closed and when it opens, when its hours say
                # so; nothing when it cannot be rung for another reason (a lapsed check).
                if self.lines.closed_by_hours(target):
                    result += self.lines.resolved(target.closed_say)
                continue
            result += self.lines.resolved((prompt_id,))
        return tuple(result)
