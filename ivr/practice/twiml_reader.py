"""The TwiML reader: follows a helpline's answers as Twilio does, for one practice call.

Each document's verbs run in order: what is said and played is recorded, a <Gather> takes the
caller's next input, a <Redirect> or a Gather's action asks for the next document, and a <Dial>
rings with the outcome the tester chose (the person answering hears the whisper first).
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urljoin

from ivr.practice.driver import TwilioDriver, answering_params
from ivr.practice.outcomes import DIAL_OUTCOMES
from ivr.practice.transcript import Recorder, Transcript

if TYPE_CHECKING:
    from ivr.practice.phone import Phone

_KEYS = frozenset("0123456789*#")
_SILENCE = ("", ".")
_WHISPER_TURNS = 5  # a whisper is a short exchange: stop any loop


class _Next(NamedTuple):
    """The next webhook request to make, and the parameters it adds."""

    url: str
    method: str
    extra: dict[str, str]


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _spoken(verb: ET.Element) -> str:
    """A verb's words, on one line (SSML children hold words too)."""
    return _normalise("".join(verb.itertext()))


def _describe_wait(attrs: dict[str, str]) -> str:
    """Say what a Gather waits for, e.g. "menu waits 8 s for 1 key or words"."""
    modes = attrs.get("input", "dtmf").split()
    digits, finish = attrs.get("numDigits"), attrs.get("finishOnKey", "#")
    wanted = []
    if "dtmf" in modes:
        keys = "1 key" if digits == "1" else f"{digits} keys" if digits else "keys"
        wanted.append(keys + (f" then {finish}" if finish and digits != "1" else ""))
    if "speech" in modes:
        wanted.append("words")
    return f"menu waits {attrs.get('timeout', '5')} s for {' or '.join(wanted) or 'nothing'}"


def _collect_digits(keys: str, finish: str, num_digits: str | None) -> str:
    """The Digits Twilio sends: up to the finishOnKey, or until numDigits are pressed."""
    limit = int(num_digits) if num_digits and num_digits.isdigit() else 0
    digits = ""
    for key in keys:
        if finish and key == finish:
            break
        digits += key
        if len(digits) == limit:
            break
    return digits


class TwimlReader:
    """One practice call in progress: asks for TwiML, runs its verbs, and records the call."""

    def __init__(self, phone: Phone, next_input: Callable[[], str | None]) -> None:
        self.phone = phone
        self.next_input = next_input
        self.sid = "CA" + secrets.token_hex(16)
        self.transcript = Transcript(call_sid=self.sid)
        self.record = Recorder(self.transcript, phone.printer, phone.show_requests, phone.on_event)
        self.driver = TwilioDriver(phone, self.sid, self.record)
        self.outcomes = list(phone.dial_outcomes)
        self.ended = False
        self.redirects = 0  # Redirects since the last Gather: many in a row is a loop
        self.seconds = 0.0  # a rough call length for the status callback

    def run(self, start_url: str) -> Transcript:
        """Make the call, from the first request to the status callback; its transcript."""
        with self.driver:
            step: _Next | None = _Next(start_url, "POST", {})
            while step is not None and not self.ended:
                root = self.driver.fetch(step.method, step.url, self.driver.params(step.extra))
                if root is None:
                    self._end("error")
                    break
                step = self._document(root, step.url)
        return self.transcript

    # --- the call's course -----------------------------------------------------------------

    def _fail(self, text: str, url: str) -> None:
        """Twilio could not go on ("an application error has occurred"): the call ends."""
        self.record("error", text, url)
        self._end("error")

    def _end(self, how: str, call_status: str = "completed") -> None:
        """End the call, then post the status callback as Twilio does once a call is over."""
        self.ended = True
        self.record("end", how)
        if self.phone.status_path is None:
            return
        url = self.phone.base_url + self.phone.status_path
        extra = {"CallStatus": call_status, "CallDuration": str(round(self.seconds))}
        answer = self.driver.send("POST", url, self.driver.params(extra))
        if answer.status != 200:
            self.record(
                "error",
                f"status callback answered HTTP {answer.status}: {answer.body[:200]!r}",
                url,
            )

    # --- TwiML -----------------------------------------------------------------------------

    def _document(self, root: ET.Element, url: str) -> _Next | None:
        """Run a document's verbs in order; answer the next request, or None once ended."""
        last = "<Response>"
        for verb in root:
            step = self._verb(verb, url)
            if step is not None or self.ended:
                return step
            last = f"<{verb.tag}>"
        self.record("fell-off-end", f"after {last}", url)
        self._end("fell-off-end")
        return None

    def _verb(self, verb: ET.Element, url: str) -> _Next | None:
        """Run one verb; answer the next request, or None to go on (or once ended)."""
        attrs = dict(verb.attrib)
        match verb.tag:
            case "Say":
                text = _spoken(verb)
                self.seconds += 1 + len(text.split()) / 2.5
                self.record("say", text, url, attrs)
            case "Play":
                self.seconds += 10
                played = (verb.text or "").strip() or attrs.get("digits", "")
                caption = self.phone.captions(played) if self.phone.captions else None
                if caption:
                    attrs["caption"] = caption
                self.record("play", played, url, attrs)
            case "Pause":
                self.seconds += int(attrs.get("length", "1"))
                self.record("pause", attrs.get("length", "1"), url)
            case "Gather":
                return self._gather(verb, url)
            case "Redirect":
                return self._redirect(verb, url)
            case "Dial":
                return self._dial(verb, url)
            case "Hangup":
                self.record("hangup", url=url)
                self._end("hangup")
            case "Reject":
                self.record("reject", url=url, attrs=attrs)
                self._end("reject", "busy" if attrs.get("reason") == "busy" else "no-answer")
            case _:
                self._fail(f"unsupported verb <{verb.tag}>", url)
        return None

    def _gather(self, gather: ET.Element, url: str) -> _Next | None:
        """Play a Gather's prompts, then give it the caller's next input (or the timeout)."""
        self.redirects = 0
        for child in gather:
            if child.tag not in ("Say", "Play", "Pause"):
                self._fail(f"<{child.tag}> cannot be nested in <Gather>", url)
                return None
            self._verb(child, url)
        attrs = dict(gather.attrib)
        modes = attrs.get("input", "dtmf").split()
        action = urljoin(url, attrs.get("action", ""))  # no action: the current document
        method = attrs.get("method", "POST").upper()
        self.record("gather", _describe_wait(attrs), action, attrs)
        token = self.next_input()
        if token is None:
            self.record("caller-hung-up", url=url)
            self._end("caller-hung-up")
            return None
        token = token.strip()
        if token in _SILENCE:
            self.record("silence")
        elif set(token) <= _KEYS:
            if "dtmf" not in modes:
                self.record(
                    "error", f"keys not accepted here (input={' '.join(modes)}): {token}", url
                )
            else:
                finish, num_digits = attrs.get("finishOnKey", "#"), attrs.get("numDigits")
                digits = _collect_digits(token, finish, num_digits)
                self.record("keys", token, url, {"Digits": digits})
                # Pressing only the finishOnKey counts as no input, as does a timeout.
                if digits:
                    return _Next(action, method, {"Digits": digits})
        elif "speech" not in modes:
            self.record(
                "error", f"speech not accepted here (input={' '.join(modes)}): {token!r}", url
            )
        else:
            self.record("speech", token)
            return _Next(action, method, {"SpeechResult": token, "Confidence": "0.9"})
        # No usable input: the timeout passes and Twilio goes on to the next verb.
        self.seconds += float(attrs.get("timeout", "5"))
        if attrs.get("actionOnEmptyResult") == "true":
            return _Next(action, method, {})
        return None

    def _redirect(self, verb: ET.Element, url: str) -> _Next | None:
        """Follow a <Redirect>, unless it has no URL or the call is redirecting in a loop."""
        target = (verb.text or "").strip()
        if not target:
            self._fail("<Redirect> without a URL", url)
            return None
        self.redirects += 1
        if self.redirects > self.phone.max_redirects:
            self._fail(f"more than {self.phone.max_redirects} Redirects without a Gather", url)
            return None
        destination = urljoin(url, target)
        self.record("redirect", target, destination)
        return _Next(destination, verb.get("method", "POST").upper(), {})

    def _dial(self, dial: ET.Element, url: str) -> _Next | None:
        """Ring the number with the next outcome the tester chose; then the Dial's action."""
        # Successive Dials take successive outcomes; the last one is kept for any more.
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        numbers = [_normalise(c.text or "") for c in dial] or [_normalise(dial.text or "")]
        whispers = [urljoin(url, c.attrib["url"]) for c in dial if c.get("url")]
        if not any(numbers):
            self._fail("<Dial> without a number", url)
            return None
        attrs = dict(dial.attrib) | {"outcome": outcome, "whisper": " ".join(whispers)}
        self.record("dial", ", ".join(numbers), url, attrs)
        dial_sid = "CA" + secrets.token_hex(16)
        extra = {"DialCallStatus": DIAL_OUTCOMES[outcome], "DialCallSid": dial_sid}
        if outcome in ("answered", "declined"):
            bridged = True
            if whispers:
                caller_id = attrs.get("callerId") or self.phone.called
                params = answering_params(self.driver.params({}), dial_sid, numbers[0], caller_id)
                bridged = self._whisper(whispers[0], params, accept=outcome == "answered")
            extra["DialBridged"] = "true" if bridged else "false"
            if bridged:
                self.seconds += 60
                extra["DialCallDuration"] = "60"
            else:
                outcome = "declined"
                attrs["outcome"] = outcome
        else:
            self.seconds += float(attrs.get("timeout", "30"))
        if "action" in attrs:
            return _Next(urljoin(url, attrs["action"]), attrs.get("method", "POST").upper(), extra)
        if outcome == "answered":
            # The caller talked to a person, then put the phone down: the call is over.
            self._end("dial-answered")
        return None

    def _whisper(self, url: str, params: dict[str, str], accept: bool) -> bool:
        """Play the whisper to the person who answers, as Twilio does; whether they took the call.

        A <Gather> in the whisper is answered with 1 when `accept`, else with silence (a person
        who does not press, or a voicemail); a <Hangup> there means the call is not bridged.
        """
        document = self.driver.fetch("POST", url, params)
        for _ in range(_WHISPER_TURNS):
            if document is None:
                return False
            pressed = False
            for verb in document:
                if verb.tag == "Say":
                    self.record("whisper", _spoken(verb), url)
                elif verb.tag == "Gather":
                    said = [_spoken(v) for v in verb if v.tag == "Say"]
                    self.record("whisper", " ".join(said), url)
                    if accept:
                        url = urljoin(url, verb.get("action", url))
                        document = self.driver.fetch("POST", url, params | {"Digits": "1"})
                        pressed = True
                        break
                elif verb.tag == "Hangup":
                    return False
            if not pressed:
                return True  # the whisper ran out without hanging up: the call is bridged
        return False
