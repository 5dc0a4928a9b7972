"""What the practice phone keeps of a call: each thing that happened, and each request it made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from ivr.practice.lines import transcript_line


@dataclass(frozen=True)
class TranscriptEntry:
    """One thing that happened on a practice call, in its transcript; `kind` says what ("say",
    "keys", "dial", ...: see ivr.practice.lines for every kind and how each is written)."""

    kind: str
    text: str = ""
    url: str = ""
    attrs: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        """The entry as a line for a person at a terminal."""
        return str(transcript_line(self))


class WebhookRequest(NamedTuple):
    """One request the phone made, as Twilio would have made it, and the answer."""

    method: str
    url: str
    params: dict[str, str]
    status: int
    body: str


@dataclass
class Transcript:
    """Everything that happened on one call, in order."""

    call_sid: str
    events: list[TranscriptEntry] = field(default_factory=list)
    requests: list[WebhookRequest] = field(default_factory=list)

    @property
    def ended_by(self) -> str:
        """How it ended: hangup, reject, fell-off-end, caller-hung-up, dial-answered or error."""
        ends = self.of_kind("end")
        return ends[-1].text if ends else ""

    def of_kind(self, *kinds: str) -> list[TranscriptEntry]:
        """The entries of the given kinds, in order."""
        return [e for e in self.events if e.kind in kinds]

    def kinds(self) -> list[str]:
        """The kind of every entry, in order (handy in assertions)."""
        return [e.kind for e in self.events]

    def heard(self) -> list[str]:
        """Everything the helpline said to the caller, in order."""
        return [e.text for e in self.of_kind("say")]

    def errors(self) -> list[TranscriptEntry]:
        """The error entries; a healthy helpline has none."""
        return self.of_kind("error")

    def text(self, *, show_requests: bool = False) -> str:
        """The whole call as printable lines."""
        lines = [e.line() for e in self.events if show_requests or e.kind != "request"]
        return "\n".join(lines)


class Recorder:
    """Writes a call's entries into its transcript as they happen, and shows each as it comes:
    its line to `printer` (requests only when `show_requests`), the entry to `on_event`."""

    def __init__(
        self,
        transcript: Transcript,
        printer: Callable[[str], None] | None = None,
        show_requests: bool = False,
        on_event: Callable[[TranscriptEntry], None] | None = None,
    ) -> None:
        self.transcript = transcript
        self.printer = printer
        self.show_requests = show_requests
        self.on_event = on_event

    def __call__(
        self, kind: str, text: str = "", url: str = "", attrs: dict[str, str] | None = None
    ) -> None:
        """Record one entry."""
        entry = TranscriptEntry(kind, text, url, attrs or {})
        self.transcript.events.append(entry)
        if self.printer and (kind != "request" or self.show_requests):
            self.printer(entry.line())
        if self.on_event:
            self.on_event(entry)
