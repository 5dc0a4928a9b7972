"""How a practice call is written out, line by line: in the terminal, and on the /phone page.

`transcript_line` is the one place an entry of a call becomes a line. The terminal shows every
entry, the plumbing too; the page shows what a tester needs, with who speaks as a label. The
page's script writes its lines from `PAGE_LINES` as well (the server puts the table in the page's
config), so a call in the browser reads as one shown without JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ivr.practice.transcript import TranscriptEntry


class Line(NamedTuple):
    """One line of a transcript: its kind (heard, pressed, note, transfer, whisper or problem:
    the page styles each), who speaks (a label, or ""), the words, and any recording it plays."""

    kind: str
    who: str
    text: str
    audio: str = ""

    def __str__(self) -> str:
        return f"{self.who} {self.text}" if self.who else self.text


class LineFormat(NamedTuple):
    """How one line is written: its kind, and its label and words with `{field}`s to fill (only
    plain `{name}` fields, which the page's script fills the same way)."""

    kind: str
    who: str
    text: str

    def fill(self, fields: Mapping[str, str], audio: str = "") -> Line:
        """The line with its fields filled in."""
        return Line(self.kind, self.who.format_map(fields), self.text.format_map(fields), audio)


#: The page's words for a recording whose words are not known.
UNCAPTIONED = "(a recording)"

#: The terminal's lines, by id: the entry's kind, or a variant of it (see `_terminal_id`).
TERMINAL_LINES = {
    "say": LineFormat("heard", "Helpline:", "{text}"),
    "play": LineFormat("heard", "Helpline plays:", "{text}"),
    "play-captioned": LineFormat("heard", "Helpline:", "{caption}  (recorded)"),
    "pause": LineFormat("note", "", "  (pause {text} s)"),
    "gather": LineFormat("note", "", "  [{text}]"),
    "keys": LineFormat("pressed", "You press:", "{text}"),
    "keys-sending": LineFormat("pressed", "You press:", "{text}  (sends {digits})"),
    "keys-sending-nothing": LineFormat(
        "pressed", "You press:", "{text}  (sends nothing: same as silence)"
    ),
    "speech": LineFormat("pressed", "You say:", '"{text}"'),
    "silence": LineFormat("note", "", "  (silence)"),
    "redirect": LineFormat("note", "", "  (redirect to {url})"),
    "dial": LineFormat("transfer", "", "Ringing {text} ({outcome})"),
    "dial-talk": LineFormat("transfer", "", "Ringing {text} ({outcome}: you talk to a person)"),
    "whisper": LineFormat("whisper", "", "  (the person answering hears: {text})"),
    "queue": LineFormat("transfer", "", "You join the queue {text} at place {place}."),
    "wait": LineFormat("note", "", "  (queue: {text})"),
    "queue-left": LineFormat("transfer", "", "Out of the queue after {waited} ({text})."),
    "record": LineFormat("note", "", "  [recording {text}, {finishOnKey} to finish]"),
    "recorded": LineFormat("pressed", "You:", "recorded a {duration} s message{finished}"),
    "recorded-words": LineFormat(
        "pressed", "You:", 'recorded a {duration} s message{finished}: "{text}"'
    ),
    "not-recorded": LineFormat("note", "", "  (nothing recorded: the call goes on)"),
    "hangup": LineFormat("note", "", "Helpline hangs up."),
    "reject": LineFormat("note", "", "Helpline rejects the call."),
    "fell-off-end": LineFormat(
        "problem", "", "  (the TwiML from {url} ran out {text} without a <Hangup>)"
    ),
    "caller-hung-up": LineFormat("note", "", "You hang up."),
    "error": LineFormat("problem", "", "  !! ERROR: {text}"),
    "end": LineFormat("note", "", "Call ended."),
    "request": LineFormat("note", "", "  -> {text} {url} ({status})"),
    "text": LineFormat("transfer", "", "Would send a text (a practice call sends none): {text}"),
    "other": LineFormat("note", "", "  ({kind}: {text})"),
}

#: The page's lines, by id. The server writes a call run without JavaScript with the ones
#: `_PAGE_IDS` names; the page's script writes the rest of what happens on a live call.
PAGE_LINES = {
    "say": LineFormat("heard", "Helpline:", "{text}"),
    "play": LineFormat("heard", "Helpline:", "{caption}"),
    "keys": LineFormat("pressed", "You press:", "{text}"),
    "speech": LineFormat("pressed", "You say:", '"{text}"'),
    "silence": LineFormat("note", "", "(silence)"),
    "dial": LineFormat("transfer", "Transfer:", "Now ringing {name} ({outcome})."),
    "ringing": LineFormat("transfer", "Transfer:", "Now ringing {name}."),
    "takes-the-call": LineFormat("transfer", "Transfer:", "{Name} presses 1 to take the call."),
    "through": LineFormat(
        "transfer",
        "Transfer:",
        "You are through to {name}. Nobody is really there: the call goes on as if you talked,"
        " then they hung up.",
    ),
    "not-taken": LineFormat("transfer", "Transfer:", "{Name} answered but did not take the call."),
    "busy": LineFormat("transfer", "Transfer:", "{Name} is busy."),
    "no-answer": LineFormat("transfer", "Transfer:", "Nobody at {name} answered."),
    "failed": LineFormat("transfer", "Transfer:", "The call to {name} could not be made."),
    "whisper": LineFormat("whisper", "Whisper:", "The person answering hears: {text}"),
    "queue": LineFormat("transfer", "Queue:", "You wait in the queue, at place {place}."),
    "wait": LineFormat("note", "Queue:", "Place {place}, waited {waited}."),
    "queue-left": LineFormat("transfer", "Queue:", "Out of the queue after {waited} ({text})."),
    "record": LineFormat("note", "Recording:", "Leave a message now: up to {text}."),
    "recorded": LineFormat("pressed", "You:", "recorded a {duration} s message{finished}."),
    "recorded-words": LineFormat(
        "pressed", "You:", 'recorded a {duration} s message{finished}: "{text}".'
    ),
    "recorded-here": LineFormat(
        "pressed",
        "You:",
        "recorded a {duration} s message{finished}. Your recording stays in this page only"
        " (never sent anywhere) until you call again or leave the page; the helpline is told"
        " of a stand-in clip.",
    ),
    "not-recorded": LineFormat("note", "Recording:", "Nothing recorded: the call goes on."),
    "whisper-to": LineFormat("whisper", "Whisper to {name}:", "{text}"),
    "hangup": LineFormat("note", "", "The helpline hangs up."),
    "reject": LineFormat("note", "", "The helpline rejects the call."),
    "caller-hung-up": LineFormat("note", "", "You hang up."),
    "script-ran-out": LineFormat("note", "", "You hang up: the keys to press ran out."),
    "end": LineFormat("note", "", "Call ended."),
    "problem": LineFormat("problem", "Problem:", "{text}"),
    "text": LineFormat("transfer", "Text:", "Would send (a practice call sends none): {text}"),
}

# The page's line for each kind of entry in a call run on the server; the rest is plumbing.
_PAGE_IDS = {
    "say": "say",
    "play": "play",
    "keys": "keys",
    "speech": "speech",
    "silence": "silence",
    "dial": "dial",
    "whisper": "whisper",
    "queue": "queue",
    "wait": "wait",
    "queue-left": "queue-left",
    "record": "record",
    "recorded": "recorded",
    "not-recorded": "not-recorded",
    "hangup": "hangup",
    "caller-hung-up": "script-ran-out",  # on the server, only a script runs out
    "error": "problem",
    "fell-off-end": "problem",
    "text": "text",
}


def transcript_line(
    entry: TranscriptEntry, *, page: bool = False, names: Mapping[str, str] | None = None
) -> Line | None:
    """How one entry of a call is written: for the terminal (every entry has a line), or for the
    page, which leaves out the plumbing (None) and names whom a transfer rings from `names`."""
    fields = _fields(entry, names or {})
    if not page:
        return TERMINAL_LINES[_terminal_id(entry)].fill(fields)
    line_id = _PAGE_IDS.get(entry.kind)
    if line_id == "recorded" and entry.text:
        line_id = "recorded-words"
    if line_id is None:
        return None
    if line_id == "problem":
        fields["text"] = str(transcript_line(entry)).strip(" !")
    return PAGE_LINES[line_id].fill(fields, audio=entry.text if entry.kind == "play" else "")


def _terminal_id(entry: TranscriptEntry) -> str:
    """The terminal's line for an entry: its kind's, or the variant the entry's details call for."""
    match entry.kind:
        case "keys":
            sent = entry.attrs.get("Digits", "")
            return (
                "keys" if sent == entry.text else "keys-sending" if sent else "keys-sending-nothing"
            )
        case "play" if entry.attrs.get("caption"):
            return "play-captioned"
        case "recorded" if entry.text:
            return "recorded-words"
        case "dial" if entry.attrs.get("outcome") == "answered" and not entry.attrs.get("action"):
            return "dial-talk"  # no action to go on to: the call ends with the conversation
        case kind if kind in TERMINAL_LINES:
            return kind
    return "other"


def _name_of(number: str, names: Mapping[str, str]) -> str:
    """Who a number rung belongs to, where known; else only its last digits (a nurse's number is
    never shown in full), as the page's script writes it too."""
    if number in names:
        return names[number]
    return f"the number ending {number[-3:]}" if number.startswith("+") else number


def _fields(entry: TranscriptEntry, names: Mapping[str, str]) -> dict[str, str]:
    """What the lines' `{field}`s may use from an entry."""
    name = names.get(entry.text, entry.text)
    if entry.kind == "dial":
        name = ", ".join(_name_of(number, names) for number in entry.text.split(", "))
    attrs = entry.attrs
    return {
        "place": attrs.get("place", ""),
        "waited": attrs.get("waited", ""),
        "duration": attrs.get("duration", ""),
        "finishOnKey": attrs.get("finishOnKey", "any key"),
        # How a message ended: the key pressed, if any (e.g. " then #").
        "finished": f", then pressed {attrs['Digits']}" if attrs.get("Digits") else "",
        "kind": entry.kind,
        "text": entry.text,
        "url": entry.url,
        "caption": entry.attrs.get("caption", UNCAPTIONED),
        "digits": entry.attrs.get("Digits", ""),
        "outcome": entry.attrs.get("outcome", ""),
        "status": entry.attrs.get("status", "?"),
        "name": name,
        "Name": name[:1].upper() + name[1:],
    }
