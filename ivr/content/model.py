"""The call flow and prompts as typed, frozen objects: what the rest of the code works with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

# The keys that work in every node; flows may not use them as options.
OPERATOR_KEY = "0"
BACK_KEY = "*"
REPEAT_KEY = "#"
PACE_KEY = "9"  # no menu has more than 4 options, so 9 is free everywhere
LANGUAGE_KEY = "7"  # the next language the line offers, everywhere (where it offers several)
LANGUAGE_OFFER_PROMPT = "welcome.language"  # in each language: "For English, press 7."
MAIN_MENU_KEY = "8"  # the main menu, from every part of the call
YES_KEY = "1"
NO_KEY = "2"


@dataclass(frozen=True, slots=True)
class Prompt:
    """One sentence or short block the caller hears: written form and spoken form."""

    id: str
    text: str
    spoken: str
    file: str
    line: int

    @property
    def dynamic(self) -> bool:
        """Filled in during the call (a caller's number, the part they were in): never
        rendered ahead, always spoken with <Say>."""
        return "{" in self.spoken


@dataclass(frozen=True, slots=True)
class Option:
    """A numbered choice: the key, where it leads, and the words that choose it by speech.

    An option that puts the caller through to a service names its `offer`, the prompt that
    offers it: played only while the service can be rung.
    """

    key: str
    to: str
    words: tuple[str, ...]
    offer: str = ""


@dataclass(frozen=True, kw_only=True)
class Node:
    """What every node has: an id, a title for people, the prompts it plays and where it is."""

    kind: ClassVar[str] = ""
    # Choosing a way on from this kind of node goes one menu level deeper.
    deepens: ClassVar[bool] = False

    id: str
    title: str
    say: tuple[str, ...]
    file: str
    line: int
    code: str = ""  # the entry code staff use to send a caller straight here

    def targets(self) -> tuple[str, ...]:
        """Every node this one can lead to (the global keys aside)."""
        return ()

    def keyed(self) -> tuple[tuple[str, str], ...]:
        """The keys that lead on from here, with where each leads (the global keys aside)."""
        return ()

    def prompt_ids(self) -> tuple[str, ...]:
        """Every prompt id this node can play."""
        return self.say

    def plays(self, yes: frozenset[str], replay: bool) -> tuple[str, ...]:
        """The prompts it plays on arrival, given the answers the caller said yes to; a replay
        (after a silence or a key that is no choice) plays only its choices."""
        return self.say


@dataclass(frozen=True, kw_only=True)
class ChoiceNode(Node):
    """A node that ends with numbered options."""

    options: tuple[Option, ...]

    def targets(self) -> tuple[str, ...]:
        return tuple(option.to for option in self.options)

    def keyed(self) -> tuple[tuple[str, str], ...]:
        return tuple((option.key, option.to) for option in self.options)

    def said_choices(self) -> tuple[str, ...]:
        """The prompts that say the choices: a menu's own, a block's `choices`."""
        return self.say

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)

    def offers(self) -> dict[str, Option]:
        """The options that put the caller through, by the prompt that offers each."""
        return {o.offer: o for o in self.options if o.offer}


@dataclass(frozen=True, kw_only=True)
class MenuNode(ChoiceNode):
    """A choice between parts of the helpline."""

    kind: ClassVar[str] = "menu"
    deepens: ClassVar[bool] = True


@dataclass(frozen=True, kw_only=True)
class InfoNode(ChoiceNode):
    """A block of information, then where the caller can go next."""

    kind: ClassVar[str] = "info"
    choices: tuple[str, ...]

    def prompt_ids(self) -> tuple[str, ...]:
        return (*self.say, *self.choices)

    def plays(self, yes: frozenset[str], replay: bool) -> tuple[str, ...]:
        return self.choices if replay else (*self.say, *self.choices)

    def said_choices(self) -> tuple[str, ...]:
        return self.choices


@dataclass(frozen=True, kw_only=True)
class QuestionNode(Node):
    """A yes/no question of the reasons walk-through; the answer is kept in the call state."""

    kind: ClassVar[str] = "question"
    records: str
    label: str  # what a yes means, for staff and the nurse's whisper
    yes: str
    no: str

    def targets(self) -> tuple[str, ...]:
        return (self.yes, self.no)

    def keyed(self) -> tuple[tuple[str, str], ...]:
        return ((YES_KEY, self.yes), (NO_KEY, self.no))


@dataclass(frozen=True, kw_only=True)
class SummaryNode(ChoiceNode):
    """The end of the walk-through: what the caller said yes to, and what to do next."""

    kind: ClassVar[str] = "summary"
    answers: tuple[tuple[str, str], ...]
    none: str
    then: tuple[str, ...]
    after: tuple[str, ...] = ()  # said after the answers, whatever they were

    def prompt_ids(self) -> tuple[str, ...]:
        return (*self.say, *(p for _, p in self.answers), self.none, *self.after, *self.then)

    def plays(self, yes: frozenset[str], replay: bool) -> tuple[str, ...]:
        """The advice for each answer the caller said yes to (or for none), then what next."""
        if replay:
            return self.then
        answers = tuple(prompt for answer, prompt in self.answers if answer in yes)
        return (*self.say, *(answers or (self.none,)), *self.after, *self.then)

    def said_choices(self) -> tuple[str, ...]:
        return self.then


# What a transfer node rings, as its `to:` says (the flow schema allows these two forms): the
# nurse line, or a service of data/services.yaml by its id. A line's id (in opens.<line>, and
# for its hours) is nurse_line or the service's id.
NURSE_LINE = "nurse_line"
SERVICE_PREFIX = "service:"


def is_nurse_line(line_id: str) -> bool:
    """Whether a line's id is the nurse line's (else it is a service's id)."""
    return line_id == NURSE_LINE


@dataclass(frozen=True, kw_only=True)
class TransferNode(Node):
    """Put the caller through to a person; where to go when the line is closed or unanswered."""

    kind: ClassVar[str] = "transfer"
    to: str
    closed: str
    unavailable: str
    # Said while the line cannot be rung, in place of the option's offer and before `closed`.
    closed_say: tuple[str, ...] = ()

    def targets(self) -> tuple[str, ...]:
        return (self.closed, self.unavailable)

    def prompt_ids(self) -> tuple[str, ...]:
        return (*self.say, *self.closed_say)

    @property
    def line_id(self) -> str:
        """The line it rings: nurse_line, or a service's id."""
        return self.to.removeprefix(SERVICE_PREFIX)

    @property
    def rings_nurse(self) -> bool:
        """It rings the nurse line (who hear a whisper first), not an outside service."""
        return is_nurse_line(self.to)


@dataclass(frozen=True, kw_only=True)
class CallbackNode(Node):
    """Take a number for a nurse to call back: the caller's own, or one they key in."""

    kind: ClassVar[str] = "callback"
    booked: str  # where the caller goes once the request is stored (or was already open)
    failed: str  # where the caller goes when it could not be stored: they are told so
    privacy: str = ""  # how a number is kept, said before the caller gives one

    def targets(self) -> tuple[str, ...]:
        return (self.booked, self.failed)

    def prompt_ids(self) -> tuple[str, ...]:
        return (*self.say, *((self.privacy,) if self.privacy else ()), *CALLBACK_PROMPTS)


@dataclass(frozen=True, kw_only=True)
class VoicemailNode(Node):
    """Record a message for the nurses, after saying how it is kept and for how long."""

    kind: ClassVar[str] = "voicemail"
    saved: str  # where the caller goes once a message is recorded (they are told it is kept)
    failed: str  # where the caller goes when nothing was recorded (they are told so)
    privacy: str = ""  # how the message is kept and for how long, said before the tone

    def targets(self) -> tuple[str, ...]:
        return (self.saved, self.failed)

    def prompt_ids(self) -> tuple[str, ...]:
        return (*self.say, *((self.privacy,) if self.privacy else ()), *VOICEMAIL_PROMPTS)


# What a voicemail node says besides its own: how to record (the tone, 2 minutes, # to finish,
# as the recording is set up), and that the message was kept, or that none was.
VOICEMAIL_PROMPTS = ("voicemail.how", "voicemail.saved", "voicemail.nothing")


# A prompt id in a flow that stands for when a closed line opens again, e.g. opens.nurse_line:
# the engine plays the sentence that fits the hours and the clock (or nothing, when it is not
# known), chosen from prompts made at start-up from the hours words (ivr.content.hours).
OPENS = "opens."


def is_opens_slot(prompt_id: str) -> bool:
    """opens.<line>, as a flow names it (not one of the sentences it stands for)."""
    return prompt_id.startswith(OPENS) and prompt_id.count(".") == 1


# What a callback node says besides its own `say`. Numbers are read back digit by digit with
# one recording a digit, so the number itself is never written into the TwiML.
CALLBACK_PROMPTS = (
    "callback.own",
    "callback.own_confirm",
    "callback.withheld",
    "callback.enter",
    "callback.check",
    "callback.check_confirm",
    "callback.invalid",
    "callback.booked",
    "callback.already",
    *(f"digits.d{d}" for d in "0123456789"),
)

NODE_KINDS: Mapping[str, type[Node]] = MappingProxyType(
    {
        cls.kind: cls
        for cls in (
            MenuNode,
            InfoNode,
            QuestionNode,
            SummaryNode,
            TransferNode,
            CallbackNode,
            VoicemailNode,
        )
    }
)


@dataclass(frozen=True, slots=True)
class Guidance:
    """Where the spoken information comes from, and when it is due for review."""

    source: str
    reviewed: dt.date
    next_review: dt.date
    file: str = "flows"
    line: int = 0


@dataclass(frozen=True)
class Flow:
    """The whole call: its nodes, where it starts, and where 0 goes."""

    start: str
    operator: str
    welcome: tuple[str, ...]
    guidance: Guidance
    nodes: Mapping[str, Node]
    # The walk-through's answer ids in the order they are asked, for short URLs.
    answer_ids: tuple[str, ...] = field(default=())
    # The language calls start in (a folder under prompts/); "" where prompts/ holds only one.
    language: str = ""
    # Where a caller on a mobile is offered a text (node id -> the text's id in texts.yaml),
    # and the parts at whose end they are asked whether the call helped.
    texts: Mapping[str, str] = field(default_factory=dict)
    feedback: tuple[str, ...] = ()

    def node(self, node_id: str) -> Node | None:
        return self.nodes.get(node_id)


@dataclass(frozen=True)
class PromptBook:
    """Every prompt of one language by id, with placeholders already filled from the
    configuration."""

    prompts: Mapping[str, Prompt]
    language: str = ""  # its folder under prompts/, and <Say>'s language

    def __getitem__(self, prompt_id: str) -> Prompt:
        return self.prompts[prompt_id]

    def __contains__(self, prompt_id: object) -> bool:
        return prompt_id in self.prompts


# The one safety message, played wherever safety is said (ivr check makes sure of it), and the
# main menu's key, said at the end of every block.
SAFETY_PROMPT = "safety.message"
MAIN_MENU_PROMPT = "main.return"

# Prompts the engine plays itself, whatever the flow; the checks make sure each exists.
SYSTEM_PROMPTS: Mapping[str, str] = MappingProxyType(
    {
        SAFETY_PROMPT: "wherever safety is said: the welcome, when no nurse can take the call, "
        "before a silent call ends, and on the fallback URL",
        MAIN_MENU_PROMPT: "at the end of every block: the main menu's key",
        "system.no_input": "after silence, before the choices again",
        "system.not_an_option": "after a key that is not a choice",
        "system.not_understood": "after words that match no choice",
        "system.offer_person": "after the second wrong key: how to reach a person",
        "system.no_input_again": "after the second silence, before the offer of a nurse",
        "system.put_through": "offering a nurse: silence puts the caller through, # stays",
        "system.at_start": "when the caller presses star at the main menu",
        "system.stale": "when a link from an older version of the flow is followed",
        "system.error": "when something goes wrong inside the helpline",
        "system.goodbye": "after a long silence, before the safety message and the end",
        "system.call_again": "at the end of a call the helpline ends, after the safety message",
        "system.after_call": "when the caller's conversation with a person ends",
        "system.fallback": "on the fallback URL, before putting the caller through",
        "system.fallback_closed": "on the fallback URL when no nurse can take the call",
        "system.slower": "when the caller switches to the slower voice (press 9)",
        "system.faster": "when the caller switches back to the usual speed (press 9 again)",
        "system.entry": "when staff put a caller straight through to a part ({part})",
        "system.entry_unknown": "when an entry code is not known",
        "whisper.intro": "to the nurse who answers, before the caller is put through",
        "whisper.part": "to the nurse: the part of the guidance the caller was in ({part})",
        "whisper.reasons": "to the nurse: the reasons the caller said yes to ({reasons})",
        "whisper.accept": "to the nurse: how to take the call",
        "whisper.declined": "to the nurse, when the call was not taken",
        "whisper.waited": "to the nurse: how long the caller waited in the queue ({minutes})",
        "whisper.waited_minute": "to the nurse: the caller waited about a minute in the queue",
        "queue.joined": "when every nurse on duty is on a call: the caller waits in a queue",
        "queue.next": "in the queue: the caller is next",
        "queue.connecting": "leaving the queue for a nurse who is free",
        "queue.another": "when a nurse did not take the call and another is rung",
        "queue.place": "in the queue: the caller's place ({position})",
        "queue.wait_minute": "in the queue: the wait is about a minute",
        "queue.wait_minutes": "in the queue: the expected wait ({minutes})",
        "queue.keys": "in the queue: the keys to leave it for a call back or the guidance",
        "queue.long_wait": "in the queue past the limit: a call back is offered again",
        "queue.not_a_key": "in the queue, after a key that is not a choice",
    }
)

# Prompts only a line of several languages plays (its flow names the first language): content
# with one language needs none of them.
LANGUAGE_PROMPTS: Mapping[str, str] = MappingProxyType(
    {
        LANGUAGE_OFFER_PROMPT: "in each other language the line offers, before the welcome: "
        "the key into it (7); under 5 seconds",
        "system.language": "after 7: the call goes on in the language it changed to",
        "whisper.language": "to the nurse: the language the caller chose ({language})",
    }
)

# Who runs the line, as callers hear it ({run_by}), where SERVICE_RUN_BY is not set: in
# development only; production needs the setting.
DEFAULT_RUN_BY = "the helpline team"
# How many days what the helpline keeps (the call log, a voicemail once dealt with) is kept,
# where RETENTION_DAYS is not set; callers hear it ({retention_days}) before leaving a message.
DEFAULT_RETENTION_DAYS = 90


def text_key(node: ChoiceNode) -> str:
    """The key a part offers its text on: the one after its options."""
    return str(len(node.options) + 1)


def text_offer(key: str) -> str:
    """The prompt that offers a text on a key ("To get this by text, press 2.")."""
    return f"texting.offer_{key}"


def follow_up_prompts(flow: Flow) -> Mapping[str, str]:
    """The prompts the flow's follow-ups need, with when each is said: the question of
    whether the call helped (with `feedback:`), and the offer of a text on each key a part
    offers one on, and what is said after (with `texts:`)."""
    needed: dict[str, str] = {}
    if flow.feedback:
        needed["feedback.ask"] = "once a call, at the end of a part the flow's feedback: names"
        needed["feedback.thanks"] = "after the caller answers whether the call helped"
    for node_id in flow.texts:
        node = flow.nodes.get(node_id)
        if isinstance(node, ChoiceNode):
            key = text_key(node)
            needed[text_offer(key)] = f"offering a text on key {key} (in {node_id})"
    if flow.texts:
        needed["texting.sent"] = "after a text was sent (on a practice call: would have been)"
        needed["texting.failed"] = "when a text could not be sent, before the part again"
    return needed


# The offers of a text a flow may use, on any key a part has free: never "played nowhere".
TEXT_OFFERS = tuple(text_offer(key) for key in "1234")
