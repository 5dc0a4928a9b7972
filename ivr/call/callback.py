"""The call-back dialogue at a callback node: confirm the caller's own number, or key one in
and hear it read back; then book it, before the caller is told it is booked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from ivr.call.lines import Lines
from ivr.call.state import CallbackPhase, CallState
from ivr.call.steps import NOBODY, Ask, Caller, Step
from ivr.content.graph import node_is_content
from ivr.content.language import Languages
from ivr.content.model import (
    BACK_KEY,
    NO_KEY,
    YES_KEY,
    CallbackNode,
    Flow,
    QuestionNode,
    TransferNode,
    VoicemailNode,
)
from ivr.numbers import Sealer, spoken_digits, uk_number

KEYED_NUMBER_DIGITS = 13  # 0 and ten digits, with room for a caller who keys +44 as 0044


class Booked(Protocol):
    """What the store says of a request it kept."""

    @property
    def created(self) -> bool:
        """False when a request for the same number (and kind, practice or real) was open."""
        ...


class CallbackBook(Protocol):
    """Where callback requests are kept (ivr.store.Store); raises when it cannot confirm one."""

    def book_callback(
        self,
        call_sid: str,
        number: str,
        listening_to: str,
        reasons: list[str],
        *,
        practice: bool = False,
        language: str | None = None,
    ) -> Booked:
        """Keep a request for a nurse to call the number back."""
        ...


class Moves(Protocol):
    """What the dialogue asks of the engine: arrive at a node, and count a wrong answer."""

    def visit(
        self,
        state: CallState,
        first: tuple[str, ...] = (),
        replay: bool = False,
        caller: Caller = NOBODY,
    ) -> Step:
        """Arrive at the node in the state, after the `first` prompts."""
        ...

    def wrong(self, state: CallState, sorry: str, caller: Caller = NOBODY) -> Step:
        """Say sorry, then the choices again (a person, after too many)."""
        ...


def said_yes_to(questions: Sequence[QuestionNode], state: CallState) -> list[str]:
    """The labels of the questions the caller said yes to, in the order of the flow."""
    return [n.label for n in questions if n.records in state.yes]


class CallbackDialogue:
    """The questions of a callback node, phase by phase (CallbackPhase), and the booking."""

    def __init__(
        self,
        flow: Flow,
        moves: Moves,
        lines: Lines,
        languages: Languages,
        book: CallbackBook | None,
        sealer: Sealer | None,
    ) -> None:
        self.flow = flow
        self.moves = moves
        self.lines = lines
        self.languages = languages
        self.book = book
        self.sealer = sealer
        self.questions = [n for n in flow.nodes.values() if isinstance(n, QuestionNode)]
        # Nodes around putting someone through: not "what the caller was listening to".
        self.around_person = {
            node_id
            for node in flow.nodes.values()
            if isinstance(node, TransferNode | CallbackNode | VoicemailNode)
            for node_id in (node.id, *node.targets())
        }

    def _keyed_number(self, state: CallState) -> str | None:
        """The number the caller keyed in, unsealed from the state; None if it will not open."""
        return self.sealer.open(state.sealed) if self.sealer else None

    def ask(
        self, state: CallState, node: CallbackNode, first: tuple[str, ...], caller: Caller
    ) -> Step:
        """The question the node is at: confirm the caller's number, key one, or check it.

        Before the caller gives a number, they hear how it is kept (the node's `privacy`)."""
        privacy = (node.privacy,) if node.privacy else ()
        say = self.lines.resolved(node.say)
        yes_no = self.languages[state.language].yes_no_hints
        if state.phase == CallbackPhase.CHECK:
            number = self._keyed_number(state)
            if number is not None:
                prompts = (
                    *first,
                    "callback.check",
                    *spoken_digits(number),
                    "callback.check_confirm",
                )
                return Ask(prompts, state, yes_no)
            state = replace(state, phase=CallbackPhase.ENTER, sealed="")
        if state.phase in ("", CallbackPhase.OWN):
            own = uk_number(caller.number)
            if own is not None:
                prompts = (
                    *first,
                    *say,
                    *privacy,
                    "callback.own",
                    *spoken_digits(own),
                    "callback.own_confirm",
                )
                return Ask(prompts, replace(state, phase=CallbackPhase.OWN), yes_no)
            first = (*first, *say, *privacy, "callback.withheld")
        return Ask(
            (*first, "callback.enter"),
            replace(state, phase=CallbackPhase.ENTER, sealed=""),
            (),
            max_digits=KEYED_NUMBER_DIGITS,
            finish_on_key="#",
        )

    def key(self, state: CallState, node: CallbackNode, key: str, caller: Caller) -> Step | None:
        """A key that means something here; None for the keys that work anywhere."""
        if state.phase == CallbackPhase.OWN and key in (YES_KEY, NO_KEY):
            own = uk_number(caller.number)
            if key == YES_KEY and own is not None:
                return self._book(state, node, own, caller)
            entering = replace(state, phase=CallbackPhase.ENTER, wrong=0)
            return self.moves.visit(entering, caller=caller)
        if state.phase == CallbackPhase.CHECK and key in (YES_KEY, NO_KEY, BACK_KEY):
            number = self._keyed_number(state)
            if key == YES_KEY and number is not None:
                return self._book(state, node, number, caller)
            # * (or 2) corrects the number: key it again.
            again = replace(state, phase=CallbackPhase.ENTER, sealed="", wrong=0)
            return self.moves.visit(again, caller=caller)
        if state.phase == CallbackPhase.ENTER and key.isdigit():
            return self.keyed(state, node, key, caller)
        return None

    def keyed(self, state: CallState, node: CallbackNode, keys: str, caller: Caller) -> Step:
        """A number keyed in: read it back to check, or say it does not look right."""
        number = uk_number(keys.rstrip("#"))
        if number is None or self.sealer is None:
            entering = replace(state, phase=CallbackPhase.ENTER)
            return self.moves.wrong(entering, "callback.invalid", caller)
        sealed = self.sealer.seal(number)
        checked = replace(state, phase=CallbackPhase.CHECK, sealed=sealed, wrong=0, silences=0)
        return self.moves.visit(checked, caller=caller)

    def listening_to(self, state: CallState) -> str:
        """The last part of the guidance the caller heard, for the nurse who calls back."""
        nodes = self.flow.nodes
        return next(
            (
                nodes[n].title
                for n in reversed(state.history)
                if n in nodes and node_is_content(nodes[n]) and n not in self.around_person
            ),
            nodes[self.flow.start].title,
        )

    def _book(self, state: CallState, node: CallbackNode, number: str, caller: Caller) -> Step:
        """Store the request before the caller is told it is booked; if that fails, say so."""
        listening_to = self.listening_to(state)
        reasons = said_yes_to(self.questions, state)
        try:
            if self.book is None:
                raise RuntimeError("no database is set up for callbacks")
            booking = self.book.book_callback(
                caller.sid,
                number,
                listening_to,
                reasons,
                practice=caller.practice,
                language=self.languages[state.language].code,
            )
        except Exception:  # any failure: the caller hears it was not booked, never silence
            return self.moves.visit(state.moved_to(node.failed, remember=False), caller=caller)
        said = "callback.booked" if booking.created else "callback.already"
        booked = state.moved_to(node.booked, remember=False)
        return self.moves.visit(booked, (said,), caller=caller)
