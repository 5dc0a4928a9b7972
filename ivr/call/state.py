"""Per-call state, carried in webhook URLs so any server can answer any request."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

from ivr.content.model import Flow

MAX_HISTORY = 8
# The questions of a callback node: confirm the caller's own number, key one in, check it.
# "code": staff keying an entry code after *; "offer": a nurse was offered after silences or
# wrong keys, and silence now puts the caller through.
PHASES = ("", "own", "enter", "check", "code", "offer")
MAX_COUNT = 9


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
    phase: str = ""
    sealed: str = ""

    def moved_to(self, node: str, remember: bool = True, *, silences: int = 0) -> CallState:
        """The state after moving on to another node: counts start again, unless `silences`
        carries the silence count over."""
        history = (*self.history, self.node)[-MAX_HISTORY:] if remember else self.history
        return replace(
            self, node=node, history=history, silences=silences, wrong=0, phase="", sealed=""
        )

    def to_query(self) -> dict[str, str]:
        """Short URL parameters; empty values are left out."""
        query = {"n": self.node}
        if self.history:
            query["b"] = ".".join(self.history)
        if self.silences:
            query["s"] = str(self.silences)
        if self.wrong:
            query["w"] = str(self.wrong)
        if self.yes:
            query["y"] = ".".join(sorted(self.yes))
        if self.slow:
            query["p"] = "s"
        if self.phase:
            query["c"] = self.phase
        if self.sealed:
            query["k"] = self.sealed
        return query

    def url(self, path: str) -> str:
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


def decode(query: Mapping[str, str], flow: Flow) -> Decoded:
    """Read the state back; anything unknown (an older flow, a bad value) is marked stale."""
    node = query.get("n", "")
    if node not in flow.nodes:
        return Decoded(CallState(flow.start, slow=query.get("p") == "s"), stale=True)
    history = tuple(h for h in query.get("b", "").split(".") if h)
    kept_history = tuple(h for h in history if h in flow.nodes)[-MAX_HISTORY:]
    yes = frozenset(a for a in query.get("y", "").split(".") if a)
    kept_yes = yes & frozenset(flow.answer_ids)
    silences, wrong = _count(query.get("s")), _count(query.get("w"))
    pace = query.get("p", "")
    phase, sealed = query.get("c", ""), query.get("k", "")
    stale = (
        phase not in PHASES
        or len(sealed) > 400
        or kept_history != history
        or kept_yes != yes
        or silences is None
        or wrong is None
        or pace not in ("", "s")
    )
    state = CallState(
        node,
        kept_history,
        silences or 0,
        wrong or 0,
        kept_yes,
        pace == "s",
        phase if phase in PHASES else "",
        sealed if phase in PHASES else "",
    )
    return Decoded(state, stale=stale)


def query_decoder(flow: Flow, size: int = 4096) -> Callable[[str], Decoded]:
    """Decode raw query strings, remembering recent ones: callers keep revisiting the same."""

    @lru_cache(maxsize=size)
    def decode_query(query_string: str) -> Decoded:
        return decode(dict(parse_qsl(query_string)), flow)

    return decode_query
