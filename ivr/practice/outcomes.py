"""What happens when a practice call is put through to a person: the outcomes a tester can
choose (`ivr call --dial`, the phone page), the DialCallStatus Twilio reports for each, and how
the phone page names them."""

from __future__ import annotations

from typing import NamedTuple


class DialOutcome(NamedTuple):
    """One outcome: what Twilio reports, and what the page calls it."""

    status: str  # Twilio's DialCallStatus
    label: str


OUTCOMES = {
    "answered": DialOutcome("completed", "Answered: the nurse presses 1"),
    # Answered, but the person (or a voicemail) did not press 1 in the whisper: not bridged.
    "declined": DialOutcome("completed", "Answered, not taken (voicemail)"),
    "busy": DialOutcome("busy", "Busy"),
    "no-answer": DialOutcome("no-answer", "No answer"),
    "failed": DialOutcome("failed", "Failed: the call could not be made"),
}
#: The DialCallStatus Twilio reports for each outcome.
DIAL_OUTCOMES = {name: outcome.status for name, outcome in OUTCOMES.items()}
#: How the phone page names each outcome.
LABELS = {name: outcome.label for name, outcome in OUTCOMES.items()}
