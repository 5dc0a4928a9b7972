"""The nurse line as a team: ring the nurses free now (all at once or in turn), queue the
caller when every nurse on duty is on a call, tell them their place about once a minute, and
let them leave the queue for a call back or the guidance.

Twilio keeps the caller in its queue (<Enqueue>); the helpline keeps the order (oldest first,
in the store) and decides when a nurse is free for the caller at the front.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol
from urllib.parse import urlencode

from ivr.call.callback import CallbackDialogue, Moves, said_yes_to
from ivr.call.state import MAX_TRIED, CallState, Decoded
from ivr.call.steps import NOBODY, Caller, Goodbye, Hold, Leave, Queue, Screen, Step, Transfer
from ivr.call.team import PRACTICE_PREFIX, Nurse, Ring, Team
from ivr.content.model import (
    SAFETY_PROMPT,
    CallbackNode,
    Flow,
    QuestionNode,
    TransferNode,
)

log = logging.getLogger("ivr.calls")
ANNOUNCE_EVERY = 60  # seconds between telling a caller their place
CALL_BACK_KEY, GUIDANCE_KEY = "1", "2"
# Why a caller leaves the wait, as the queue's action reads it back.
FOR_NURSE, FOR_CALLBACK, FOR_GUIDANCE = "nurse", "callback", "guidance"
DECLINED = "declined"  # a nurse's leg that heard the whisper and did not take the call


class QueuedCall(Protocol):
    """A caller's place in the queue, as the store keeps it (ivr.store.team.QueuedCall)."""

    @property
    def leaving_for(self) -> str | None: ...
    @property
    def announced(self) -> int: ...
    @property
    def left_how(self) -> str | None: ...
    @property
    def waited_seconds(self) -> int: ...


class QueueBook(Protocol):
    """Where the queue and the nurses' legs are kept (ivr.store.Store); may raise when down."""

    def join_queue(
        self,
        call_sid: str,
        state: str,
        listening_to: str,
        reasons: list[str],
        practice: bool,
        language: str | None = None,
    ) -> None: ...
    def queued_call(self, call_sid: str) -> QueuedCall | None: ...
    def queue_position(self, call_sid: str) -> int | None: ...
    def leave_for(self, call_sid: str, leaving_for: str) -> bool: ...
    def left_queue(self, call_sid: str, how: str) -> None: ...
    def note_announced(self, call_sid: str) -> None: ...
    def held_by(self, call_sid: str) -> list[str]: ...
    def end_legs(self, call_sid: str, outcome: str, nurse_key: str | None = None) -> int: ...
    def declined_by(self, call_sid: str) -> list[str]: ...


class NurseLine:
    """Ringing the nurses, and the queue for them."""

    def __init__(
        self,
        flow: Flow,
        moves: Moves,
        dialogue: CallbackDialogue,
        team: Team,
        book: QueueBook | None,
        clock: Callable[[], dt.datetime],
        limit_minutes: int = 10,
    ) -> None:
        self.flow = flow
        self.moves = moves
        self.dialogue = dialogue
        self.team = team
        self.book = book
        self.records = Records(book)
        self.clock = clock
        self.limit = limit_minutes * 60
        self.questions = [n for n in flow.nodes.values() if isinstance(n, QuestionNode)]
        self.callback_node = next(
            (n.id for n in flow.nodes.values() if isinstance(n, CallbackNode)), None
        )

    # -------------------------------------------------------------- ringing

    def ring(
        self, state: CallState, node: TransferNode, first: tuple[str, ...], caller: Caller
    ) -> Step:
        """Ring the nurses free now; if every nurse on duty is on a call, queue the caller."""
        duty = self.team.on_duty()  # read once: the rota is a query
        free = self.team.free(caller.practice, exclude=state.tried, duty=duty)
        held = self.team.claim(caller.sid, free, caller.practice)
        if held:
            return self._transfer((*first, *node.say), state, held)
        if not state.tried and duty and self.book is not None and caller.sid:
            try:
                self._join(state, caller)
                return Queue((*first, "queue.joined"), state)
            except Exception:
                log.warning("call=%s could not join the queue", caller.sid, exc_info=True)
        unavailable = state.moved_to(node.unavailable, remember=False, silences=state.silences)
        return self.moves.visit(unavailable, first, caller=caller)

    def _transfer(
        self, said: tuple[str, ...], state: CallState, nurses: tuple[Nurse, ...]
    ) -> Transfer:
        tried = (*state.tried, *(n.key for n in nurses))[-MAX_TRIED:]
        ring = tuple((n.key, n.number) for n in nurses)
        # In turn, each nurse rings for NURSE_RING_SECONDS; all at once, for DIAL_TIMEOUT.
        timeout = self.team.ring_seconds if self.team.ring is Ring.TURN else 0
        return Transfer(said, replace(state, tried=tried), nurses[0].number, True, ring, timeout)

    def _join(self, state: CallState, caller: Caller) -> None:
        assert self.book is not None
        listening_to = self.dialogue.listening_to(state)
        reasons = said_yes_to(self.questions, state)
        query = urlencode(state.to_query())
        language = self.dialogue.languages[state.language].code
        self.book.join_queue(caller.sid, query, listening_to, reasons, caller.practice, language)

    def dial_ended(
        self,
        state: CallState,
        node: TransferNode,
        bridged: bool,
        caller: Caller,
        declined: bool = False,
    ) -> Step:
        """The call to the nurses ended: thank the caller, or try the nurses not tried yet.

        All at once, Twilio hangs up on the others when the first nurse answers: if that nurse
        did not take the call (`declined`), only they count as tried, and the others ring again.
        """
        if declined and self.team.ring is Ring.ALL and state.tried:
            said_no = self.records.declined(caller.sid)
            if said_no:
                state = replace(state, tried=tuple(k for k in state.tried if k in said_no))
        self.records.release(caller.sid, "completed" if bridged else "not-taken")
        queued = self.records.queued(caller.sid)
        if bridged:
            if queued is not None and queued.left_how is None:
                self.records.left(caller.sid, "answered")
            return Goodbye(("system.after_call",), state)
        if queued is not None and queued.left_how is None:
            # Offered from the queue and not taken: the choices, not a loop back into it.
            self.records.left(caller.sid, "unanswered")
        elif state.tried and self.team.free(caller.practice, exclude=state.tried):
            # (A link from before nurses were counted names none tried: no second ring.)
            return self.ring(state, node, ("queue.another",), caller)
        unavailable = state.moved_to(node.unavailable, remember=False, silences=state.silences)
        return self.moves.visit(unavailable, caller=caller)

    def call_ended(self, call_sid: str) -> None:
        """The caller hung up: their nurses are free, and they are out of the queue."""
        self.records.release(call_sid, "caller-hung-up")
        queued = self.records.queued(call_sid)
        if queued is not None and queued.left_how is None:
            self.records.left(call_sid, "hung_up")

    def declined(self, call_sid: str, nurse_key: str) -> None:
        """A nurse heard the whisper and did not take the call: their leg ends as declined."""
        self.records.end_leg(call_sid, nurse_key, DECLINED)

    def leg_ended(self, call_sid: str, nurse_key: str, status: str) -> None:
        """A nurse's leg ended (their status callback): they can be rung for other calls."""
        self.records.end_leg(call_sid, nurse_key, status)

    # -------------------------------------------------------------- the queue

    def wait(self, decoded: Decoded, caller: Caller, waited: int | None, average: int) -> Step:
        """A turn of the wait: leave for a nurse who is free, or hear the place (about once a
        minute, with the keys), or a quiet pause."""
        state = decoded.state
        queued = self.records.queued(caller.sid)
        if queued is None or self.book is None:
            return Hold(("queue.keys",), state)
        seconds = waited if waited is not None else queued.waited_seconds
        try:
            position = self.book.queue_position(caller.sid)
            if position == 1:
                free = self.team.free(caller.practice, exclude=state.tried)
                if free and self.team.claim(caller.sid, free, caller.practice):
                    if self.book.leave_for(caller.sid, FOR_NURSE):
                        return Leave(state)
                    # They pressed a key to leave just now: the nurses go back to the rota.
                    self.records.release(caller.sid, "not-needed")
                    return Hold((), state)
            if queued.announced and seconds < queued.announced * ANNOUNCE_EVERY:
                return Hold((), state)
            self.book.note_announced(caller.sid)
        except Exception:
            log.warning("call=%s queue unreadable", caller.sid, exc_info=True)
            return Hold(("queue.keys",), state)
        return self._announce(state, queued, position or 1, seconds, average)

    def _announce(
        self, state: CallState, queued: QueuedCall, position: int, seconds: int, average: int
    ) -> Hold:
        prompts = ["queue.next" if position == 1 else "queue.place"]
        fill = [("position", str(position))]
        if average > 0:
            minutes = max(1, math.ceil(average / 60))
            prompts.append("queue.wait_minute" if minutes == 1 else "queue.wait_minutes")
            fill.append(("minutes", str(minutes)))
        if not queued.announced:
            prompts.append(SAFETY_PROMPT)  # once, the first time
        prompts.append("queue.long_wait" if seconds >= self.limit else "queue.keys")
        return Hold(tuple(prompts), state, tuple(fill))

    def key(self, decoded: Decoded, keys: str, caller: Caller) -> Step:
        """A key in the wait: 1 leaves for a call back, 2 for the guidance."""
        why = {CALL_BACK_KEY: FOR_CALLBACK, GUIDANCE_KEY: FOR_GUIDANCE}.get(keys[:1])
        if why is not None and self.book is not None:
            try:
                if self.book.leave_for(caller.sid, why):
                    return Leave(decoded.state)
            except Exception:
                log.warning("call=%s could not leave the queue", caller.sid, exc_info=True)
        return Hold(("queue.not_a_key", "queue.keys"), decoded.state)

    def left(self, decoded: Decoded, result: str, caller: Caller = NOBODY) -> Step:
        """The caller is out of Twilio's queue (QueueResult): put them where they asked to go."""
        state = decoded.state
        node = self.flow.nodes[state.node]
        queued = self.records.queued(caller.sid)
        leaving_for = queued.leaving_for if queued is not None else None
        if result == "hangup":
            self.call_ended(caller.sid)
            return Goodbye((), state)
        if result == "leave" and leaving_for == FOR_NURSE:
            held = self.records.held(caller.sid)
            nurses = tuple(n for n in self.team.on_duty() if n.key in held)
            if nurses:
                return self._transfer(("queue.connecting",), state, nurses)
        if leaving_for in (FOR_CALLBACK, FOR_GUIDANCE):
            self.records.release(caller.sid, "left-queue")  # nobody holds a nurse for them
        if result == "leave" and leaving_for == FOR_CALLBACK and self.callback_node:
            # Their place is kept until the call back is booked (the store marks it then).
            return self.moves.visit(state.moved_to(self.callback_node), caller=caller)
        if result == "leave" and leaving_for == FOR_GUIDANCE:
            self.records.left(caller.sid, "guidance")
            return self.moves.visit(state.moved_to(self.flow.start), caller=caller)
        self.records.release(caller.sid, "queue-" + result[:12])
        if queued is not None:
            self.records.left(caller.sid, "unanswered")
        target = node.unavailable if isinstance(node, TransferNode) else self.flow.start
        return self.moves.visit(state.moved_to(target, remember=False), caller=caller)

    def whisper(
        self, state: CallState, waited_minutes: int | None = None, nurse: str = ""
    ) -> Screen:
        """For the nurse: where the caller was in the guidance, the reasons they said yes to,
        and how long they waited in the queue (if they did)."""
        was = self.flow.nodes.get(state.history[-1]) if state.history else None
        part = was.title if was is not None else self.flow.nodes[self.flow.start].title
        labels = said_yes_to(self.questions, state)
        prompts = ["whisper.intro", "whisper.part"]
        if labels:
            prompts.append("whisper.reasons")
        if waited_minutes is not None:
            prompts.append("whisper.waited_minute" if waited_minutes == 1 else "whisper.waited")
        languages = self.dialogue.languages
        if state.language:
            # Said in the first language, the staff's, naming the caller's ("Welsh").
            prompts.append("whisper.language")
        prompts.append("whisper.accept")
        fill = (
            ("part", part),
            ("reasons", "; ".join(labels)),
            ("minutes", str(waited_minutes)),
            ("language", languages.name_of(state.language)),
        )
        return Screen(tuple(prompts), state, fill, nurse)

    def context(self, state: CallState) -> tuple[str, list[str]]:
        """What the caller was listening to, and the reasons they said yes to: for staff."""
        return self.dialogue.listening_to(state), said_yes_to(self.questions, state)

    def waited_minutes(self, caller_sid: str) -> int | None:
        """How long a caller offered from the queue waited, for the nurse's whisper."""
        queued = self.records.queued(caller_sid)
        if queued is None:
            return None
        return max(1, round(queued.waited_seconds / 60))


class Records:
    """The queue book, each use guarded: when the database fails, that is logged and the call
    goes on (a caller is never left in silence for a record the helpline could not keep)."""

    def __init__(self, book: QueueBook | None) -> None:
        self.book = book

    def queued(self, call_sid: str) -> QueuedCall | None:
        """The caller's place in the queue, if they have one (and it can be read)."""
        if self.book is None or not call_sid:
            return None
        try:
            return self.book.queued_call(call_sid)
        except Exception:
            log.warning("call=%s queue unreadable", call_sid, exc_info=True)
            return None

    def left(self, call_sid: str, how: str) -> None:
        """The caller is out of the queue, and how."""
        try:
            if self.book is not None:
                self.book.left_queue(call_sid, how)
        except Exception:
            log.warning("call=%s queue unwritable", call_sid, exc_info=True)

    def release(self, call_sid: str, outcome: str) -> None:
        """End every live leg of the call: those nurses can be rung again."""
        try:
            if self.book is not None and call_sid:
                self.book.end_legs(call_sid, outcome)
        except Exception:
            log.warning("call=%s nurse legs unwritable", call_sid, exc_info=True)

    def end_leg(self, call_sid: str, nurse_key: str, outcome: str) -> None:
        """End one nurse's leg of the call (a practice call's legs are its own)."""
        try:
            if self.book is not None:
                for key in (nurse_key, PRACTICE_PREFIX + nurse_key):
                    self.book.end_legs(call_sid, outcome, key)
        except Exception:
            log.warning("call=%s nurse legs unwritable", call_sid, exc_info=True)

    def held(self, call_sid: str) -> set[str]:
        """The nurses this call holds now."""
        return self._keys(call_sid, lambda book: book.held_by(call_sid))

    def declined(self, call_sid: str) -> set[str]:
        """The nurses who heard this call's whisper and did not take it."""
        return self._keys(call_sid, lambda book: book.declined_by(call_sid))

    def _keys(self, call_sid: str, read: Callable[[QueueBook], list[str]]) -> set[str]:
        try:
            if self.book is not None:
                return {k.removeprefix(PRACTICE_PREFIX) for k in read(self.book)}
        except Exception:
            log.warning("call=%s nurse legs unreadable", call_sid, exc_info=True)
        return set()
