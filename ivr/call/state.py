"""Per-call state, carried in webhook URLs so any server can answer any request."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
from typing import Literal
from urllib.parse import parse_qsl, urlencode

from ivr.content.model import Flow

MAX_HISTORY = 8
MAX_COUNT = 9
MAX_SEALED = 400
MAX_TRIED = 10  # Twilio dials at most ten numbers at once
NURSE_KEY = re.compile(r"n:\d{1,9}|line")  # a nurse on the rota, or NURSE_LINE_NUMBER


class CallbackPhase(StrEnum):
    """The questions of a callback node: confirm the caller's own number, key one in, check it."""

    OWN = "own"
    ENTER = "enter"
    CHECK = "check"


class Waiting(StrEnum):
    """What a node waits for besides its choices (and never inside a call back's questions)."""

    CODE = "code"  # staff keying an entry code, after * at the main menu
    NURSE_OFFER = "offer"  # a nurse was offered after silences or wrong keys: silence takes it
    FEEDBACK = "help"  # "did this call help you?": 1 yes, 2 no; silence or another key skips it


# What the node is asking besides its own choices; "" for nothing but them.
Phase = CallbackPhase | Waiting | Literal[""]
_PHASES: Mapping[str, Phase] = {"": "", **{p.value: p for p in (*CallbackPhase, *Waiting)}}

# The state in a URL: one letter a field, since every Gather's action carries it. A field at
# its default is left out. Changing a letter or a value breaks the links of calls in progress.
#   n  node      the node the caller is at (a node id)
#   b  history   the nodes they came through, oldest first, joined by "." (* goes back)
#   s  silences  nothing heard, so many times in a row here (0 to 9)
#   w  wrong     keys that are no choice, or words that match none, in a row here (0 to 9)
#   y  yes       the walk-through's answers the caller said yes to, joined by "."
#   p  pace      "s": the caller chose the slower voice
#   c  phase     what the node is asking besides its choices: a CallbackPhase or Waiting value
#   k  sealed    the number a caller keyed in, sealed (Fernet), while it is read back
#   l  language  the caller's language, a folder under prompts/; left out for the one calls
#                start in
#   t  tried     the nurses rung for this request already ("n:<id>" or "line"), joined by "."
#   x  texted    the kinds of text sent on this call (prompts/<language>/texts.yaml), by "."
#   f  asked     "1": the caller was asked whether the call helped (once a call)
NODE, HISTORY, SILENCES, WRONG, YES, PACE, PHASE, SEALED, LANGUAGE, TRIED = "nbswypcklt"
TEXTED, ASKED = "xf"
SLOW = "s"
TEXT_KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")  # a text's id in texts.yaml
MAX_TEXTED = 10


@dataclass(frozen=True, slots=True)
class CallState:
    """Where the caller is, where they came from, their silences, wrong keys and answers."""

    node: str
    history: tuple[str, ...] = ()
    silences: int = 0
    wrong: int = 0
    yes: frozenset[str] = field(default_factory=frozenset)
    slow: bool = False  # the caller chose the slower voice; it holds for the rest of the call
    # Within a callback node: which question is being asked, and a keyed number, sealed.
    phase: Phase = ""
    sealed: str = ""
    language: str = ""  # "" is the language calls start in
    tried: tuple[str, ...] = ()  # nurses rung already for this request for a nurse
    texted: tuple[str, ...] = ()  # the kinds of text sent on this call: each at most once
    asked: bool = False  # asked whether the call helped: the question comes once a call

    def moved_to(self, node: str, remember: bool = True, *, silences: int = 0) -> CallState:
        """The state after moving on to another node: counts start again, unless `silences`
        carries the silence count over."""
        history = (*self.history, self.node)[-MAX_HISTORY:] if remember else self.history
        return replace(
            self,
            node=node,
            history=history,
            silences=silences,
            wrong=0,
            phase="",
            sealed="",
            tried=(),
        )

    def to_query(self) -> dict[str, str]:
        """Short URL parameters; empty values are left out."""
        query = {NODE: self.node}
        if self.history:
            query[HISTORY] = ".".join(self.history)
        if self.silences:
            query[SILENCES] = str(self.silences)
        if self.wrong:
            query[WRONG] = str(self.wrong)
        if self.yes:
            query[YES] = ".".join(sorted(self.yes))
        if self.slow:
            query[PACE] = SLOW
        if self.phase:
            query[PHASE] = str(self.phase)
        if self.sealed:
            query[SEALED] = self.sealed
        if self.language:
            query[LANGUAGE] = self.language
        if self.tried:
            query[TRIED] = ".".join(self.tried)
        if self.texted:
            query[TEXTED] = ".".join(self.texted)
        if self.asked:
            query[ASKED] = "1"
        return query

    def url(self, path: str) -> str:
        """The path with this state as its query string."""
        return f"{path}?{urlencode(self.to_query())}"


@dataclass(frozen=True, slots=True)
class Decoded:
    """A state read from a URL, and whether anything in it was stale or out of range."""

    state: CallState
    stale: bool


def _count(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return 0
    if raw.isdigit() and int(raw) <= MAX_COUNT:
        return int(raw)
    return None


def decode(query: Mapping[str, str], flow: Flow, languages: Collection[str] = ()) -> Decoded:
    """Read the state back; anything unknown (an older flow, a bad value) is marked stale.

    `languages` are those the helpline speaks besides the one calls start in."""
    language = query.get(LANGUAGE, "")
    known_language = language if language in languages else ""
    node = query.get(NODE, "")
    if node not in flow.nodes:
        start = CallState(flow.start, slow=query.get(PACE) == SLOW, language=known_language)
        return Decoded(start, stale=True)
    history = tuple(h for h in query.get(HISTORY, "").split(".") if h)
    kept_history = tuple(h for h in history if h in flow.nodes)[-MAX_HISTORY:]
    yes = frozenset(a for a in query.get(YES, "").split(".") if a)
    kept_yes = yes & frozenset(flow.answer_ids)
    silences, wrong = _count(query.get(SILENCES)), _count(query.get(WRONG))
    pace = query.get(PACE, "")
    tried = tuple(t for t in query.get(TRIED, "").split(".") if t)
    phase, sealed = _PHASES.get(query.get(PHASE, "")), query.get(SEALED, "")
    texted = tuple(t for t in query.get(TEXTED, "").split(".") if t)
    texted_ok = len(texted) <= MAX_TEXTED and all(TEXT_KIND.fullmatch(t) for t in texted)
    asked = query.get(ASKED, "")
    stale = (
        phase is None
        or len(sealed) > MAX_SEALED
        or kept_history != history
        or kept_yes != yes
        or silences is None
        or wrong is None
        or pace not in ("", SLOW)
        or language != known_language
        or len(tried) > MAX_TRIED
        or not all(NURSE_KEY.fullmatch(t) for t in tried)
        or not texted_ok
        or asked not in ("", "1")
    )
    state = CallState(
        node,
        kept_history,
        silences or 0,
        wrong or 0,
        kept_yes,
        pace == SLOW,
        phase or "",
        sealed if phase is not None else "",
        known_language,
        tried if len(tried) <= MAX_TRIED and all(NURSE_KEY.fullmatch(t) for t in tried) else (),
        texted if texted_ok else (),
        asked == "1",
    )
    return Decoded(state, stale=stale)


def query_decoder(
    flow: Flow, languages: Collection[str] = (), size: int = 4096
) -> Callable[[str], Decoded]:
    """Decode raw query strings, remembering recent ones: callers keep revisiting the same."""
    known = frozenset(languages)

    @lru_cache(maxsize=size)
    def decode_query(query_string: str) -> Decoded:
        return decode(dict(parse_qsl(query_string)), flow, known)

    return decode_query
