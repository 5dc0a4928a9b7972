"""The call engine: (where the caller is, what they did) -> the next step. No Flask here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from ivr.call.state import CallbackPhase, CallState, Decoded, Waiting, query_decoder
from ivr.content.graph import node_is_content, shortest_paths
from ivr.content.hours import Hours, next_opening
from ivr.content.model import (
    BACK_KEY,
    BACK_WORDS,
    FASTER_WORDS,
    MAIN_MENU_KEY,
    MAIN_MENU_WORDS,
    NO_KEY,
    NO_WORDS,
    OPENS,
    OPERATOR_KEY,
    OPERATOR_WORDS,
    PACE_KEY,
    REPEAT_KEY,
    REPEAT_WORDS,
    SAFETY_PROMPT,
    SLOWER_WORDS,
    YES_KEY,
    YES_WORDS,
    CallbackNode,
    ChoiceNode,
    Flow,
    InfoNode,
    Node,
    QuestionNode,
    SummaryNode,
    TransferNode,
    is_opens_slot,
)
from ivr.content.services import Service, line_hours
from ivr.numbers import Sealer, is_practice_caller, spoken_digits, uk_number

# Silences in a row: the second puts the caller through to a person; only after this many
# (several minutes of nothing) does the call end, with a goodbye that says when to call again.
PUT_THROUGH_AFTER_SILENCES = 2
GOODBYE_AFTER_SILENCES = 5
OFFER_PERSON_AFTER_WRONG = 2
PUT_THROUGH_AFTER_WRONG = 3
# What a call the helpline ends says: why, the safety message, and when to call again.
GOODBYE_PROMPTS = ("system.goodbye", SAFETY_PROMPT, "system.call_again")
KEYED_NUMBER_DIGITS = 13  # 0 and ten digits, with room for a caller who keys +44 as 0044
ANSWERED = "completed"


@dataclass(frozen=True, slots=True)
class Ask:
    """Play prompts and wait for a key or words (a Gather); silence comes back as no input."""

    prompts: tuple[str, ...]
    state: CallState
    hints: tuple[str, ...]
    # A phone number is keyed as several digits, ended by # (elsewhere # means "again").
    max_digits: int = 1
    finish_on_key: str = ""
    fill: tuple[tuple[str, str], ...] = ()  # values for prompts filled in during the call


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, as Twilio says: the CallSid and the number (never stored in the state)."""

    sid: str = ""
    number: str | None = None

    @property
    def practice(self) -> bool:
        """A call from the practice phones: what it books is marked, so nobody rings it."""
        return is_practice_caller(self.number)


NOBODY = Caller()


def utc_now() -> dt.datetime:
    """The time now, which the engine goes by unless given another clock (tests)."""
    return dt.datetime.now(dt.UTC)


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
    ) -> Booked: ...


class Booked(Protocol):
    @property
    def created(self) -> bool:
        """False when a request for the same number (and kind, practice or real) was open."""
        ...


@dataclass(frozen=True, slots=True)
class Transfer:
    """Play prompts, then ring a person; the outcome comes back with the same state."""

    prompts: tuple[str, ...]
    state: CallState
    number: str
    whisper: bool = True  # the nurse line hears why the caller rang; other services do not


@dataclass(frozen=True, slots=True)
class Screen:
    """What the person answering hears before the caller is put through: press 1 to take it."""

    prompts: tuple[str, ...]
    state: CallState
    fill: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Connect:
    """The person answering took the call: end the whisper so the two are put through."""

    state: CallState


@dataclass(frozen=True, slots=True)
class Goodbye:
    """Play prompts, then end the call."""

    prompts: tuple[str, ...]
    state: CallState


Step = Ask | Transfer | Goodbye | Screen | Connect

_SPOKEN_KEYS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "star": "*",
    "hash": "#",
    "0": "0",
    "1": "1",
    "2": "2",
    "3": "3",
    "4": "4",
}
_WORD = re.compile(r"[a-z0-9']+")


def _has_phrase(words: list[str], phrase: str) -> bool:
    """Whether the phrase's words stand together in what the caller said."""
    wanted = phrase.split()
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


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
    ) -> None:
        self.flow = flow
        self.callbacks = callbacks
        self.sealer = sealer
        self.services = services or {}
        self.nurse_hours = nurse_hours
        self.nurse_number = nurse_number
        self.clock = clock
        self.hints = {node.id: self.hints_for(node) for node in flow.nodes.values()}
        self.questions = [n for n in flow.nodes.values() if isinstance(n, QuestionNode)]
        self.by_code = {node.code: node for node in flow.nodes.values() if node.code}
        # Options that put the caller through, by the prompt that offers each, per node.
        self.offers = {
            node.id: node.offers() for node in flow.nodes.values() if isinstance(node, ChoiceNode)
        }
        # Nodes around putting someone through: not "what the caller was listening to".
        self.around_person = {
            node_id
            for node in flow.nodes.values()
            if isinstance(node, TransferNode | CallbackNode)
            for node_id in (node.id, *node.targets())
        }
        self.read_state = query_decoder(flow)
        paths = shortest_paths(flow)
        # Where * goes when the caller's own history is empty: the part above on the map.
        self.parent = {node: path[-2] for node, path in paths.items() if len(path) > 1}

    # -------------------------------------------------------------- entry points

    def start(self) -> Step:
        """A new call: the welcome, inside the first menu."""
        return self.visit(CallState(self.flow.start), self.flow.welcome)

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
                return self.visit(state.moved_to(self.flow.operator, silences=state.silences))
            state = replace(state, phase="", silences=0, wrong=0)
        if not keys and not speech:
            return self.silence(state, caller)
        if speech and not keys:
            pace = self.pace_for_words(speech)
            if pace is not None:
                return self.change_pace(state, slow=pace, caller=caller)
        if isinstance(node, CallbackNode) and state.phase == CallbackPhase.ENTER and len(keys) > 1:
            return self.callback_keyed(state, node, keys, caller)
        if state.phase == Waiting.CODE:
            if len(keys.rstrip("#")) > 1:
                return self.enter(keys.rstrip("#"), state.slow)
            state = replace(state, phase="")  # one key: the caller chose from the menu
        key = keys[:1] if keys else self.key_for_words(node, speech)
        if key is None:
            return self.wrong(state, "system.not_understood", caller)
        return self.press(state, node, key, caller)

    def dial_ended(self, decoded: Decoded, status: str, bridged: bool = True) -> Step:
        """The call to a person ended: thank them, or say nobody took it and give choices.

        Answered but not bridged means the person (or a voicemail) did not press 1 in the
        whisper: for the caller that is the same as no answer.
        """
        state = decoded.state
        node = self.flow.nodes[state.node]
        if status == ANSWERED and bridged:
            return Goodbye(("system.after_call",), state)
        target = node.unavailable if isinstance(node, TransferNode) else self.flow.start
        return self.visit(state.moved_to(target, remember=False, silences=state.silences))

    def whisper(self, decoded: Decoded) -> Screen:
        """For the nurse: where the caller was in the guidance, and the reasons they said yes to."""
        state = decoded.state
        was = self.flow.nodes.get(state.history[-1]) if state.history else None
        part = was.title if was is not None else self.flow.nodes[self.flow.start].title
        labels = self._reasons(state)
        prompts = ["whisper.intro", "whisper.part"]
        if labels:
            prompts.append("whisper.reasons")
        prompts.append("whisper.accept")
        fill = (("part", part), ("reasons", "; ".join(labels)))
        return Screen(tuple(prompts), state, fill)

    def whisper_answered(self, decoded: Decoded, keys: str) -> Step:
        """1 takes the call; anything else (or nothing) and the caller hears other choices."""
        if keys[:1] == YES_KEY:
            return Connect(decoded.state)
        return Goodbye(("whisper.declined",), decoded.state)

    def enter(self, code: str, slow: bool = False) -> Step:
        """Straight to a part of the guidance by its entry code, as staff send a caller."""
        node = self.by_code.get(code)
        if node is None:
            return self.visit(CallState(self.flow.start, slow=slow), ("system.entry_unknown",))
        state = CallState(node.id, history=(self.flow.start,), slow=slow)
        prompts = ("system.entry", *self.prompts_for(node, state))
        return Ask(prompts, state, self.hints[node.id], fill=(("part", node.title),))

    def recover(self) -> Step:
        """After an internal error: apologise and offer the main menu."""
        return self.visit(CallState(self.flow.start), ("system.error",))

    def change_pace(self, state: CallState, slow: bool, caller: Caller = NOBODY) -> Step:
        """Switch to the slower voice or back; the node plays again in full at the new pace."""
        changed = replace(state, slow=slow, silences=0, wrong=0)
        return self.visit(changed, ("system.slower" if slow else "system.faster",), caller=caller)

    # -------------------------------------------------------------- what input means

    def key_for_words(self, node: Node, speech: str) -> str | None:
        """Match what the caller said to a key: options first, then the words that work anywhere."""
        words = _WORD.findall(speech.lower().replace("-", " "))
        wants_nurse = any(_has_phrase(words, phrase) for phrase in OPERATOR_WORDS)
        if isinstance(node, ChoiceNode):
            # The longest phrase heard wins: "how it is planned" over "how". Asked for a nurse,
            # a caller is never put through to an outside service on a word they also said.
            matches = [
                (len(phrase.split()), option.key)
                for option in node.options
                if not (wants_nurse and self._rings_service(option.to))
                for phrase in option.words
                if _has_phrase(words, phrase)
            ]
            if matches:
                return max(matches)[1]
        if isinstance(node, QuestionNode):
            if any(_has_phrase(words, phrase) for phrase in NO_WORDS):
                return NO_KEY
            if any(_has_phrase(words, phrase) for phrase in YES_WORDS):
                return YES_KEY
        for key, phrases in (
            (OPERATOR_KEY, OPERATOR_WORDS),
            (MAIN_MENU_KEY, MAIN_MENU_WORDS),
            (REPEAT_KEY, REPEAT_WORDS),
            (BACK_KEY, BACK_WORDS),
        ):
            if any(_has_phrase(words, phrase) for phrase in phrases):
                return key
        spoken = [_SPOKEN_KEYS[w] for w in words if w in _SPOKEN_KEYS]
        return spoken[0] if len(spoken) == 1 else None

    def pace_for_words(self, speech: str) -> bool | None:
        """True for "slower", False for "faster", None when the words are about something else."""
        words = _WORD.findall(speech.lower())
        if any(_has_phrase(words, phrase) for phrase in SLOWER_WORDS):
            return True
        if any(_has_phrase(words, phrase) for phrase in FASTER_WORDS):
            return False
        return None

    def press(self, state: CallState, node: Node, key: str, caller: Caller = NOBODY) -> Step:
        """Act on one key."""
        if key == PACE_KEY:
            return self.change_pace(state, slow=not state.slow, caller=caller)
        if key == OPERATOR_KEY:
            return self.visit(state.moved_to(self.flow.operator))
        if key == MAIN_MENU_KEY:
            return self.visit(state.moved_to(self.flow.start), caller=caller)
        if isinstance(node, CallbackNode):
            handled = self.callback_key(state, node, key, caller)
            if handled is not None:
                return handled
        if key == BACK_KEY:
            return self.back(state, caller)
        if key == REPEAT_KEY:
            return self.visit(replace(state, silences=0, wrong=0), caller=caller)
        if isinstance(node, QuestionNode) and key in (YES_KEY, NO_KEY):
            said_yes = key == YES_KEY
            yes = state.yes | {node.records} if said_yes else state.yes - {node.records}
            target = node.yes if said_yes else node.no
            return self.visit(replace(state.moved_to(target), yes=yes))
        option = node.option(key) if isinstance(node, ChoiceNode) else None
        if option is None:
            return self.wrong(state, "system.not_an_option", caller)
        return self.visit(state.moved_to(option.to), caller=caller)

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
                self.resolved(("system.at_start", *start.say)),
                replace(fresh, phase=Waiting.CODE),
                self.hints[start.id],
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
            return self.offer_nurse(state, "system.no_input_again")
        return self.visit(state, ("system.no_input",), replay=True, caller=caller)

    def wrong(self, state: CallState, sorry: str, caller: Caller = NOBODY) -> Step:
        """A key that is not a choice, or words that match none: say so, then the choices again."""
        state = replace(state, wrong=state.wrong + 1, silences=0)
        if state.wrong >= PUT_THROUGH_AFTER_WRONG:
            return self.offer_nurse(replace(state, wrong=0), sorry)
        if state.wrong == OFFER_PERSON_AFTER_WRONG:
            return self.visit(state, (sorry, "system.offer_person"), replay=True, caller=caller)
        return self.visit(state, (sorry,), replay=True, caller=caller)

    def offer_nurse(self, state: CallState, *first: str) -> Step:
        """Offer a nurse: staying silent puts the caller through, # (or any choice) keeps them
        here. When no nurse can be rung now, the caller hears that instead, and their choices."""
        operator = self.flow.nodes[self.flow.operator]
        # In the middle of a dialogue (a call back's questions, staff keying a code) the offer
        # would lose where the caller was: they are put through, as before there was an offer.
        if isinstance(operator, TransferNode) and self.can_ring(operator) and not state.phase:
            node = self.flow.nodes[state.node]
            return Ask(
                (*first, "system.put_through"),
                replace(state, phase=Waiting.NURSE_OFFER),
                self.hints[node.id],
            )
        return self.visit(state.moved_to(self.flow.operator, silences=state.silences), first)

    # -------------------------------------------------------------- what a node plays

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
        if isinstance(node, CallbackNode):
            return self.callback_ask(state, node, first, caller)
        if isinstance(node, TransferNode):
            if self.can_ring(node):
                number = self._number(node)
                assert number is not None  # can_ring says there is one
                said = self.resolved((*first, *node.say))
                return Transfer(said, state, number, node.rings_nurse)
            closed = state.moved_to(node.closed, remember=False, silences=state.silences)
            # Why, once: the node it falls back to says it where it would have offered the line.
            offered_there = any(o.to == node.id for o in self.offers.get(node.closed, {}).values())
            told = self.closed_by_hours(node) and not offered_there
            return self.visit(closed, (*first, *(node.closed_say if told else ())))
        prompts = self.prompts_for(node, state, replay)
        return Ask(self.resolved((*first, *prompts)), state, self.hints[node.id])

    def prompts_for(self, node: Node, state: CallState, replay: bool = False) -> tuple[str, ...]:
        """A node's prompts as they are to be said now: a summary's advice for each yes, an
        offer to put the caller through only while the line can be rung, when a line opens."""
        if isinstance(node, InfoNode):
            said = node.choices if replay else (*node.say, *node.choices)
        elif isinstance(node, SummaryNode):
            answers = tuple(prompt for answer, prompt in node.answers if answer in state.yes)
            said = (
                node.then
                if replay
                else (*node.say, *(answers or (node.none,)), *node.after, *node.then)
            )
        else:
            said = node.say
        offers = self.offers.get(node.id, {})
        result: list[str] = []
        for prompt_id in said:
            option = offers.get(prompt_id)
            target = self.flow.nodes[option.to] if option is not None else None
            if isinstance(target, TransferNode) and not self.can_ring(target):
                # Instead of the offer: that it is closed and when it opens, when its hours say
                # so; nothing when it cannot be rung for another reason (a lapsed check).
                if self.closed_by_hours(target):
                    result += self.resolved(target.closed_say)
                continue
            result += self.resolved((prompt_id,))
        return tuple(result)

    # -------------------------------------------------------------- the lines people answer

    def _rings_service(self, node_id: str) -> bool:
        node = self.flow.nodes.get(node_id)
        return isinstance(node, TransferNode) and not node.rings_nurse

    def _number(self, node: TransferNode) -> str | None:
        if node.rings_nurse:
            return self.nurse_number
        return self.services[node.line_id].number

    def _hours(self, line: str) -> Hours | None:
        return line_hours(line, self.nurse_hours, self.services)

    def closed_by_hours(self, node: TransferNode) -> bool:
        """Whether the line's own hours say it is closed now (so callers can be told so)."""
        hours = self._hours(node.line_id)
        return hours is not None and not hours.is_open(self.clock())

    def can_ring(self, node: TransferNode) -> bool:
        """The line can be rung now: the nurse line when open; a service only when its number
        is checked, its hours known and it is open (never on a guess)."""
        now = self.clock()
        if node.rings_nurse:
            return bool(self.nurse_number) and self.nurse_hours.is_open(now)
        service = self.services.get(node.line_id)
        return service is not None and service.can_ring(now)

    def resolved(self, prompt_ids: tuple[str, ...]) -> tuple[str, ...]:
        """opens.<line> becomes the sentence for when that line opens next, or nothing."""
        result = []
        for prompt_id in prompt_ids:
            if not is_opens_slot(prompt_id):
                result.append(prompt_id)
                continue
            line = prompt_id.removeprefix(OPENS)
            hours = self._hours(line)
            opening = next_opening(hours, self.clock()) if hours is not None else None
            if opening is not None:
                result.append(opening.prompt_id(line))
        return tuple(result)

    # -------------------------------------------------------------- callbacks

    def _reasons(self, state: CallState) -> list[str]:
        """The labels of the questions the caller said yes to, in the order of the flow."""
        return [n.label for n in self.questions if n.records in state.yes]

    def _keyed_number(self, state: CallState) -> str | None:
        """The number the caller keyed in, unsealed from the state; None if it will not open."""
        return self.sealer.open(state.sealed) if self.sealer else None

    def callback_ask(
        self, state: CallState, node: CallbackNode, first: tuple[str, ...], caller: Caller
    ) -> Step:
        """The question a callback node is at: confirm the caller's number, key one, or check it.

        Before the caller gives a number, they hear how it is kept (the node's `privacy`)."""
        privacy = (node.privacy,) if node.privacy else ()
        say = self.resolved(node.say)
        if state.phase == CallbackPhase.CHECK:
            number = self._keyed_number(state)
            if number is not None:
                prompts = (
                    *first,
                    "callback.check",
                    *spoken_digits(number),
                    "callback.check_confirm",
                )
                return Ask(prompts, state, ("yes", "no"))
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
                return Ask(prompts, replace(state, phase=CallbackPhase.OWN), ("yes", "no"))
            first = (*first, *say, *privacy, "callback.withheld")
        return Ask(
            (*first, "callback.enter"),
            replace(state, phase=CallbackPhase.ENTER, sealed=""),
            (),
            max_digits=KEYED_NUMBER_DIGITS,
            finish_on_key="#",
        )

    def callback_key(
        self, state: CallState, node: CallbackNode, key: str, caller: Caller
    ) -> Step | None:
        """A key that means something in a callback node; None for the keys that work anywhere."""
        if state.phase == CallbackPhase.OWN and key in (YES_KEY, NO_KEY):
            own = uk_number(caller.number)
            if key == YES_KEY and own is not None:
                return self.book(state, node, own, caller)
            return self.visit(replace(state, phase=CallbackPhase.ENTER, wrong=0), caller=caller)
        if state.phase == CallbackPhase.CHECK and key in (YES_KEY, NO_KEY, BACK_KEY):
            number = self._keyed_number(state)
            if key == YES_KEY and number is not None:
                return self.book(state, node, number, caller)
            # * (or 2) corrects the number: key it again.
            return self.visit(
                replace(state, phase=CallbackPhase.ENTER, sealed="", wrong=0), caller=caller
            )
        if state.phase == CallbackPhase.ENTER and key.isdigit():
            return self.callback_keyed(state, node, key, caller)
        return None

    def callback_keyed(
        self, state: CallState, node: CallbackNode, keys: str, caller: Caller
    ) -> Step:
        """A number keyed in: read it back to check, or say it does not look right."""
        number = uk_number(keys.rstrip("#"))
        if number is None or self.sealer is None:
            return self.wrong(replace(state, phase=CallbackPhase.ENTER), "callback.invalid", caller)
        checked = replace(
            state, phase=CallbackPhase.CHECK, sealed=self.sealer.seal(number), wrong=0, silences=0
        )
        return self.visit(checked, caller=caller)

    def book(self, state: CallState, node: CallbackNode, number: str, caller: Caller) -> Step:
        """Store the request before the caller is told it is booked; if that fails, say so."""
        listening_to = next(
            (
                self.flow.nodes[n].title
                for n in reversed(state.history)
                if n in self.flow.nodes
                and node_is_content(self.flow.nodes[n])
                and n not in self.around_person
            ),
            self.flow.nodes[self.flow.start].title,
        )
        reasons = self._reasons(state)
        try:
            if self.callbacks is None:
                raise RuntimeError("no database is set up for callbacks")
            booking = self.callbacks.book_callback(
                caller.sid, number, listening_to, reasons, practice=caller.practice
            )
        except Exception:  # any failure: the caller hears it was not booked, never silence
            return self.visit(state.moved_to(node.failed, remember=False), caller=caller)
        said = "callback.booked" if booking.created else "callback.already"
        return self.visit(state.moved_to(node.booked, remember=False), (said,), caller=caller)

    def hints_for(self, node: Node) -> tuple[str, ...]:
        """Words the speech recogniser should listen for here."""
        words: list[str] = []
        if isinstance(node, ChoiceNode):
            words += [w for option in node.options for w in option.words]
        if isinstance(node, QuestionNode):
            words += ["yes", "no"]
        return (*words, "nurse", "main menu", "repeat", "back", "slower")
