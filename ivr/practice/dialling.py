"""<Dial> on a practice call: ring one number or several, with the outcome the tester chose.

Several <Number>s ring at once on Twilio, and the first to answer takes the call. The tester's
outcome is what the first number does (answered, declined, busy...); when it answers, the others
stop ringing ("canceled"), and when it does not, none of them answered either: the helpline, told
so through the Dial's action, tries anyone else itself. Each leg with a `statusCallback` is
reported when it ends, signed, with the leg's own parameters, as Twilio does.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urljoin

from ivr.practice.driver import Next, answering_params
from ivr.practice.outcomes import DIAL_OUTCOMES

if TYPE_CHECKING:
    from ivr.practice.twiml_reader import TwimlReader

_WHISPER_TURNS = 5  # a whisper is a short exchange: stop any loop
TALK_SECONDS = 60  # how long a practice caller "talks" to the person who took the call


class Leg(NamedTuple):
    """One number a <Dial> rings: its own call, with its whisper and status callback if any."""

    number: str
    sid: str
    whisper: str | None
    status_url: str | None
    status_method: str


def _normalise(text: str) -> str:
    return " ".join(text.split())


def legs_of(dial: ET.Element, url: str) -> list[Leg]:
    """The numbers a <Dial> rings, in order: its <Number>s, or the number in its text."""
    legs = []
    for noun in dial:
        events = noun.get("statusCallbackEvent", "completed").replace(",", " ").split()
        status = noun.get("statusCallback") if "completed" in events else None
        legs.append(
            Leg(
                _normalise(noun.text or ""),
                "CA" + secrets.token_hex(16),
                urljoin(url, noun.attrib["url"]) if noun.get("url") else None,
                urljoin(url, status) if status else None,
                noun.get("statusCallbackMethod", "POST").upper(),
            )
        )
    if not legs and _normalise(dial.text or ""):
        legs.append(Leg(_normalise(dial.text or ""), "CA" + secrets.token_hex(16), None, None, ""))
    return legs


def leg_statuses(outcome: str, count: int) -> list[str]:
    """How each leg ends (its CallStatus): the first as the tester chose; the others were
    cancelled if the first answered, else they did what the first did."""
    first = "completed" if outcome in ("answered", "declined") else DIAL_OUTCOMES[outcome]
    others = "canceled" if first == "completed" else first
    return [first] + [others] * (count - 1)


def dial(reader: TwimlReader, verb: ET.Element, url: str) -> Next | None:
    """Ring the numbers with the next outcome the tester chose; then the Dial's action."""
    outcome = reader.next_outcome()
    legs = legs_of(verb, url)
    if not legs or not all(leg.number for leg in legs):
        reader.fail("<Dial> without a number", url)
        return None
    whispers = " ".join(leg.whisper for leg in legs if leg.whisper)
    attrs = dict(verb.attrib) | {"outcome": outcome, "whisper": whispers}
    reader.record("dial", ", ".join(leg.number for leg in legs), url, attrs)
    first = legs[0]
    extra = {"DialCallStatus": DIAL_OUTCOMES[outcome], "DialCallSid": first.sid}
    talked = 0
    if outcome in ("answered", "declined"):
        bridged = True
        if first.whisper:
            bridged = whisper(reader, first, attrs.get("callerId"), accept=outcome == "answered")
        extra["DialBridged"] = "true" if bridged else "false"
        if bridged:
            talked = TALK_SECONDS
            extra["DialCallDuration"] = str(talked)
        else:
            outcome = attrs["outcome"] = "declined"
    else:
        reader.seconds += float(attrs.get("timeout", "30"))
    reader.seconds += talked
    for leg, status in zip(legs, leg_statuses(outcome, len(legs)), strict=True):
        ended(reader, leg, status, talked if leg is first else 0)
    if "action" in attrs:
        return Next(urljoin(url, attrs["action"]), attrs.get("method", "POST").upper(), extra)
    if outcome == "answered":
        # The caller talked to a person, then put the phone down: the call is over.
        reader.end("dial-answered")
    return None


def ended(reader: TwimlReader, leg: Leg, status: str, seconds: int) -> None:
    """Tell the leg's status callback that it has ended, as Twilio does."""
    if leg.status_url is None:
        return
    params = answering_params(reader.driver.params({}), leg.sid, leg.number, reader.phone.called)
    params |= {"CallStatus": status, "CallDuration": str(seconds)}
    reader.driver.notify(leg.status_method, leg.status_url, params, "the leg's status callback")


def whisper(reader: TwimlReader, leg: Leg, caller_id: str | None, accept: bool) -> bool:
    """Play the whisper to the person who answers, as Twilio does; whether they took the call.

    A <Gather> in the whisper is answered with 1 when `accept`, else with silence (a person
    who does not press, or a voicemail); a <Hangup> there means the call is not bridged.
    """
    assert leg.whisper is not None
    url = leg.whisper
    params = answering_params(
        reader.driver.params({}), leg.sid, leg.number, caller_id or reader.phone.called
    )
    document = reader.driver.fetch("POST", url, params)
    for _ in range(_WHISPER_TURNS):
        if document is None:
            return False
        pressed = False
        for verb in document:
            if verb.tag == "Say":
                reader.record("whisper", _normalise("".join(verb.itertext())), url)
            elif verb.tag == "Gather":
                said = [_normalise("".join(v.itertext())) for v in verb if v.tag == "Say"]
                reader.record("whisper", " ".join(said), url)
                if accept:
                    url = urljoin(url, verb.get("action", url))
                    document = reader.driver.fetch("POST", url, params | {"Digits": "1"})
                    pressed = True
                    break
            elif verb.tag == "Hangup":
                return False
        if not pressed:
            return True  # the whisper ran out without hanging up: the call is bridged
    return False
