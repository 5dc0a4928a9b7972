"""The call engine: (where the caller is, what they did) -> the next step. No Flask here.

The engine moves the caller between nodes; what they hear on arriving is in arrival, what
words mean in words, the call-back dialogue in callback, and the lines people answer in lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from ivr.call.arrival import Arrival
from ivr.call.callback import CallbackBook, CallbackDialogue
from ivr.call.follow_up import FollowUp
from ivr.call.lines import Lines
from ivr.call.nurse_line import NurseLine, QueueBook
from ivr.call.state import CallbackPhase, CallState, Decoded, Waiting, query_decoder
from ivr.call.steps import NOBODY, Ask, Caller, Connect, Goodbye, Screen, Step
from ivr.call.team import Ring, RotaStore, Team
from ivr.call.words import key_for_words, pace_for_words
from ivr.content.graph import shortest_paths
from ivr.content.hours import Hours
from ivr.content.language import Languages
from ivr.content.model import (
    BACK_KEY,
    LANGUAGE_KEY,
    MAIN_MENU_KEY,
    NO_KEY,
    NODE_KINDS,
    OPERATOR_KEY,
    PACE_KEY,
    REPEAT_KEY,
    SAFETY_PROMPT,
    YES_KEY,
    CallbackNode,
    ChoiceNode,
    Flow,
    Node,
    QuestionNode,
    TransferNode,
)
from ivr.content.services import Service
from ivr.numbers import Sealer

# Silences in a row: the second puts the caller through to a person; only after this many
# (several minutes of nothing) does the call end, with a goodbye that says when to call again.
PUT_THROUGH_AFTER_SILENCES = 2
GOODBYE_AFTER_SILENCES = 5
OFFER_PERSON_AFTER_WRONG = 2
PUT_THROUGH_AFTER_WRONG = 3


class NurseStore(RotaStore, QueueBook, Protocol):
    """The store as the nurse line uses it: the rota, the nurses' legs and the queue."""


# What a key means at a kind of node; each takes the kind it is listed for (hence Any).
KeyHandler = Callable[[CallState, Any, str, Caller], Step | None]
# What a call the helpline ends says: why, the safety message, and when to call again.
GOODBYE_PROMPTS = ("system.goodbye", SAFETY_PROMPT, "system.call_again")
ANSWERED = "completed"


def utc_now() -> dt.datetime:
    """The time now, which the engine goes by unless given another clock (tests)."""
    return dt.datetime.now(dt.UTC)


class Engine:
    """Moves a caller through a flow. Everything it needs is given; it keeps no call state."""

    def __init__(
        self,
        flow: Flow,
        nurse_hours: Hours,
        nurse_number: str | None,
        clock: Callable[[], dt.datetime] = utc_now,
        callbacks: CallbackBook | None = None,
        sealer: Sealer | None = None,
        services: Mapping[str, Service] | None = None,
        *,
        languages: Languages,
        nurses: NurseStore | None = None,
        ring: Ring = Ring.ALL,
        ring_seconds: int = 20,
        queue_limit_minutes: int = 10,
    ) -> None:
        """`nurses` keeps the rota, the nurses' legs and the queue (the store); without it,
        NURSE_LINE_NUMBER is rung as a team of one that is never busy."""
        self.flow = flow
        self.sealer = sealer
        self.languages = languages
        team = Team(nurses, nurse_number, clock, ring, ring_seconds)
        self.lines = Lines(flow, nurse_hours, team, services or {}, clock)
        self.dialogue = CallbackDialogue(flow, self, self.lines, languages, callbacks, sealer)
        self.nurse_line = NurseLine(
            flow, self, self.dialogue, team, nurses, clock, queue_limit_minutes
        )
        self.arrival = Arrival(flow, self.lines, self.dialogue, languages, self.nurse_line)
        self.arrival.follow_up = self.follow_up = FollowUp(flow, self, languages)  # .connect()
        self.by_code = {node.code: node for node in flow.nodes.values() if node.code}
        self.read_state = query_decoder(flow, languages.others())
        # Where * goes when the caller's own history is empty: the part above on the map.
        self.parent = {n: path[-2] for n, path in shortest_paths(flow).items() if len(path) > 1}
        # What a key means at each kind of node, before the keys that work anywhere (None: none).
        self.node_keys: Mapping[str, KeyHandler] = {
            "menu": self._choose,
            "info": self._choose,
            "summary": self._choose,
            "question": self._answer,
            "transfer": lambda *_: None,
            "callback": self.dialogue.key,
            "voicemail": lambda *_: None,
        }
        assert set(self.node_keys) == set(NODE_KINDS)

    # -------------------------------------------------------------- entry points

    def start(self, language: str = "") -> Step:
        """A new call, in the language its number is for (the first: ""): see Arrival.start."""
        return self.arrival.start(language)

    def respond(
        self, decoded: Decoded, keys: str = "", speech: str = "", caller: Caller = NOBODY
    ) -> Step:
        """The caller pressed keys, spoke, or said nothing at the node in the state."""
        state = decoded.state
        node = self.flow.nodes[state.node]
        if decoded.stale:
            # The link came from an older flow: do not guess what the input meant there.
            return self.visit(replace(state, phase="", sealed=""), ("system.stale",), caller=caller)
        if state.phase == Waiting.NURSE_OFFER:
            # Offered a nurse: silence takes the offer; anything else carries on here.
            if not keys and not speech:
                return self.visit(
                    state.moved_to(self.flow.operator, silences=state.silences), caller=caller
                )
            state = replace(state, phase="", silences=0, wrong=0)
        if state.phase == Waiting.FEEDBACK:
            return self.follow_up.answered(state, node, keys, speech, caller)
        if not keys and not speech:
            return self.silence(state, caller)
        if speech and not keys:
            pace = pace_for_words(speech, self.languages[state.language])
            if pace is not None:
                return self.change_pace(state, slow=pace, caller=caller)
        if isinstance(node, CallbackNode) and state.phase == CallbackPhase.ENTER and len(keys) > 1:
            return self.dialogue.keyed(state, node, keys, caller)
        if state.phase == Waiting.CODE:
            if len(keys.rstrip("#")) > 1:
                return self.enter(keys.rstrip("#"), state.slow)
            state = replace(state, phase="")  # one key: the caller chose from the menu
        key = keys[:1] if keys else self.key_for_words(node, speech, state.language)
        if key is None:
            return self.wrong(state, "system.not_understood", caller)
        return self.press(state, node, key, caller)

    def dial_ended(
        self, decoded: Decoded, status: str, bridged: bool = True, caller: Caller = NOBODY
    ) -> Step:
        """The call to a person ended: thank them, or say nobody took it and give choices
        (the nurse line first tries the nurses not rung yet).

        Answered but not bridged means the person (or a voicemail) did not press 1 in the
        whisper: for the caller that is the same as no answer.
        """
        state = decoded.state
        node = self.flow.nodes[state.node]
        taken = status == ANSWERED and bridged
        if isinstance(node, TransferNode) and node.rings_nurse:
            declined = status == ANSWERED and not bridged
            return self.nurse_line.dial_ended(state, node, taken, caller, declined=declined)
        if taken:
            return self.follow_up.after_call(state, caller)
        target = node.unavailable if isinstance(node, TransferNode) else self.flow.start
        unavailable = state.moved_to(target, remember=False, silences=state.silences)
        return self.visit(unavailable, caller=caller)

    def recorded(self, decoded: Decoded, saved: bool, caller: Caller = NOBODY) -> Step:
        """A message was recorded and kept (or nothing was): say so, and go on."""
        return self.arrival.recorded(decoded.state, saved, caller)

    def whisper(
        self, decoded: Decoded, waited_minutes: int | None = None, nurse: str = ""
    ) -> Screen:
        """For the nurse: where the caller was in the guidance, and the reasons they said yes to."""
        return self.nurse_line.whisper(decoded.state, waited_minutes, nurse)

    def whisper_answered(self, decoded: Decoded, keys: str) -> Step:
        """1 takes the call; anything else (or nothing) and the caller hears other choices."""
        if keys[:1] == YES_KEY:
            return Connect(decoded.state)
        return Goodbye(("whisper.declined",), decoded.state)

    def enter(self, code: str, slow: bool = False, language: str = "") -> Step:
        """Straight to a part of the guidance by its entry code, as staff send a caller."""
        return self.arrival.enter(self.by_code.get(code), slow, language)

    def recover(self, language: str = "") -> Step:
        """After an internal error: apologise and offer the main menu, in the caller's language."""
        return self.visit(self.arrival.at_start(language), ("system.error",))

    def change_language(self, state: CallState, caller: Caller = NOBODY) -> Step:
        """7: the next language the line offers; the node plays again in full, in it."""
        now = self.languages.following(state.language)
        changed = replace(state, language=self.languages.in_state(now), silences=0, wrong=0)
        return self.visit(changed, ("system.language",), caller=caller)

    def change_pace(self, state: CallState, slow: bool, caller: Caller = NOBODY) -> Step:
        """Switch to the slower voice or back; the node plays again in full at the new pace."""
        changed = replace(state, slow=slow, silences=0, wrong=0)
        return self.visit(changed, ("system.slower" if slow else "system.faster",), caller=caller)

    # -------------------------------------------------------------- what input means

    def key_for_words(self, node: Node, speech: str, language: str = "") -> str | None:
        """Match what the caller said to a key: options first, then the words that work
        anywhere; in the caller's language ("" for the one calls start in)."""
        return key_for_words(node, speech, self.languages[language], self.lines.rings_service)

    def press(self, state: CallState, node: Node, key: str, caller: Caller = NOBODY) -> Step:
        """Act on one key."""
        if key == PACE_KEY:
            return self.change_pace(state, slow=not state.slow, caller=caller)
        if key == LANGUAGE_KEY and len(self.languages.words) > 1:
            return self.change_language(state, caller)
        if key == OPERATOR_KEY:
            return self.visit(state.moved_to(self.flow.operator), caller=caller)
        if key == MAIN_MENU_KEY:
            return self.visit(state.moved_to(self.flow.start), caller=caller)
        handled = self.follow_up.press(state, node, key, caller, self.node_keys[node.kind])
        if handled is not None:
            return handled
        if key == BACK_KEY:
            return self.back(state, caller)
        if key == REPEAT_KEY:
            return self.visit(replace(state, silences=0, wrong=0), caller=caller)
        return self.wrong(state, "system.not_an_option", caller)

    def _choose(self, state: CallState, node: ChoiceNode, key: str, caller: Caller) -> Step | None:
        """An option's key leads where the option goes."""
        option = node.option(key)
        return self.visit(state.moved_to(option.to), caller=caller) if option else None

    def _answer(
        self, state: CallState, node: QuestionNode, key: str, caller: Caller
    ) -> Step | None:
        """Yes or no to a question: the answer is kept, and the caller moves on."""
        if key not in (YES_KEY, NO_KEY):
            return None
        said_yes = key == YES_KEY
        yes = state.yes | {node.records} if said_yes else state.yes - {node.records}
        target = node.yes if said_yes else node.no
        return self.visit(replace(state.moved_to(target), yes=yes), caller=caller)

    def back(self, state: CallState, caller: Caller = NOBODY) -> Step:
        """One step back: where the caller came from, or the part above on the map."""
        fresh = replace(state, silences=0, wrong=0, phase="", sealed="")
        if state.history:
            previous = replace(fresh, node=state.history[-1], history=state.history[:-1])
            return self.visit(previous, caller=caller)
        if state.node == self.flow.start:
            # Staff who put a caller through key * and an entry code here; a caller who
            # presses * hears they are at the main menu, and can choose from it as usual.
            start = self.flow.nodes[self.flow.start]
            return Ask(
                self.lines.resolved(("system.at_start", *start.say)),
                replace(fresh, phase=Waiting.CODE),
                self.arrival.hints_at(state, start),
                max_digits=3,
                finish_on_key="#",
            )
        parent = self.parent.get(state.node, self.flow.start)
        return self.visit(replace(fresh, node=parent), caller=caller)

    def silence(self, state: CallState, caller: Caller = NOBODY) -> Step:
        """Nothing heard: hint, then a person, and only after a long silence, goodbye."""
        state = replace(state, silences=state.silences + 1)
        if state.silences >= GOODBYE_AFTER_SILENCES:
            return Goodbye(GOODBYE_PROMPTS, state)
        if state.silences == PUT_THROUGH_AFTER_SILENCES:
            return self.offer_nurse(state, "system.no_input_again", caller=caller)
        return self.visit(state, ("system.no_input",), replay=True, caller=caller)

    def wrong(self, state: CallState, sorry: str, caller: Caller = NOBODY) -> Step:
        """A key that is not a choice, or words that match none: say so, then the choices again."""
        state = replace(state, wrong=state.wrong + 1, silences=0)
        if state.wrong >= PUT_THROUGH_AFTER_WRONG:
            return self.offer_nurse(replace(state, wrong=0), sorry, caller=caller)
        if state.wrong == OFFER_PERSON_AFTER_WRONG:
            return self.visit(state, (sorry, "system.offer_person"), replay=True, caller=caller)
        return self.visit(state, (sorry,), replay=True, caller=caller)

    def offer_nurse(self, state: CallState, *first: str, caller: Caller = NOBODY) -> Step:
        """Offer a nurse: staying silent puts the caller through, # (or any choice) keeps them
        here. When no nurse can be rung now, the caller hears that instead, and their choices."""
        operator = self.flow.nodes[self.flow.operator]
        # In the middle of a dialogue (a call back's questions, staff keying a code) the offer
        # would lose where the caller was: they are put through, as before there was an offer.
        if isinstance(operator, TransferNode) and self.lines.can_ring(operator) and not state.phase:
            node = self.flow.nodes[state.node]
            offer = replace(state, phase=Waiting.NURSE_OFFER)
            return Ask((*first, "system.put_through"), offer, self.arrival.hints_at(state, node))
        return self.visit(
            state.moved_to(self.flow.operator, silences=state.silences), first, caller=caller
        )

    # -------------------------------------------------------------- where the caller goes

    def visit(
        self,
        state: CallState,
        first: tuple[str, ...] = (),
        replay: bool = False,
        caller: Caller = NOBODY,
    ) -> Step:
        """Arrive at the node in the state, after the `first` prompts (see Arrival.visit)."""
        return self.arrival.visit(state, first, replay, caller)
