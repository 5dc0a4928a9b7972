"""The TwiML reader: follows a helpline's answers as Twilio does, for one practice call.

Each document's verbs run in order: what is said and played is recorded, a <Gather> takes the
caller's next input, a <Redirect> or a Gather's action asks for the next document, a <Dial>
rings with the outcome the tester chose (`dialling`), an <Enqueue> waits in a queue
(`queueing`) and a <Record> takes a message (`recording`). Time on a practice call is simulated:
nothing sleeps, and `seconds` counts what the call would have taken.
"""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from ivr.practice.dialling import dial
from ivr.practice.driver import Next, TwilioDriver
from ivr.practice.queueing import QueueWait
from ivr.practice.recording import record
from ivr.practice.transcript import Recorder, Transcript

if TYPE_CHECKING:
    from ivr.practice.phone import Phone

_KEYS = frozenset("0123456789*#")
_SILENCE = ("", ".")
#: A silence that lasts, e.g. ".11m" or ".90s": every Gather till then hears nothing.
SILENT_FOR = re.compile(r"\.([0-9]{1,4})([sm])")


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
        self.seconds = 0.0  # simulated time: the call's length, and the time in a queue
        self.silent_until = 0.0  # a lasting silence (".11m") holds until then
        self.waiting: QueueWait | None = None  # the queue the caller is in, if any
        self.after_fetch: list[Callable[[], None]] = []  # callbacks due once a request is made

    def run(self, start_url: str) -> Transcript:
        """Make the call, from the first request to the status callback; its transcript."""
        with self.driver:
            step: Next | None = Next(start_url, "POST", {})
            while step is not None and not self.ended:
                root = self.driver.fetch(step.method, step.url, self.driver.params(step.extra))
                self._run_after_fetch()
                if root is None:
                    self.end("error")
                    break
                step = self._document(root, step.url)
        return self.transcript

    # --- the call's course -----------------------------------------------------------------

    def _run_after_fetch(self) -> None:
        due, self.after_fetch = self.after_fetch, []
        for callback in due:
            callback()

    def next_outcome(self) -> str:
        """What the next person rung does: successive Dials take successive outcomes, and the
        last one is kept for any more."""
        return self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]

    def take_input(self) -> str | None:
        """The caller's next input: a token, "." for silence, or None when they hang up."""
        if self.seconds < self.silent_until:
            return "."
        token = self.next_input()
        lasting = SILENT_FOR.fullmatch(token.strip()) if token is not None else None
        if lasting is not None:
            unit = 60 if lasting.group(2) == "m" else 1
            self.silent_until = self.seconds + int(lasting.group(1)) * unit
            return "."
        return token

    def fail(self, text: str, url: str) -> None:
        """Twilio could not go on ("an application error has occurred"): the call ends."""
        self.record("error", text, url)
        self.end("error")

    def end(self, how: str, call_status: str = "completed") -> None:
        """End the call, then post the status callback as Twilio does once a call is over."""
        if self.ended:
            return
        self.ended = True
        self._run_after_fetch()
        if self.waiting is not None:
            self.waiting.hung_up()
        self.record("end", how)
        if self.phone.status_path is None:
            return
        url = self.phone.base_url + self.phone.status_path
        extra = {"CallStatus": call_status, "CallDuration": str(round(self.seconds))}
        self.driver.notify("POST", url, self.driver.params(extra), "status callback")

    # --- TwiML -----------------------------------------------------------------------------

    def _document(self, root: ET.Element, url: str) -> Next | None:
        """Run a document's verbs in order; answer the next request, or None once ended."""
        last = "<Response>"
        for verb in root:
            step = self.verb(verb, url)
            if step is not None or self.ended:
                return step
            last = f"<{verb.tag}>"
        self.record("fell-off-end", f"after {last}", url)
        self.end("fell-off-end")
        return None

    def verb(self, verb: ET.Element, url: str) -> Next | None:
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
                return dial(self, verb, url)
            case "Enqueue":
                return QueueWait(self, verb, url).run(url)
            case "Record":
                return record(self, verb, url)
            case "Hangup":
                self.record("hangup", url=url)
                self.end("hangup")
            case "Reject":
                self.record("reject", url=url, attrs=attrs)
                self.end("reject", "busy" if attrs.get("reason") == "busy" else "no-answer")
            case _:
                self.fail(f"unsupported verb <{verb.tag}>", url)
        return None

    def _gather(self, gather: ET.Element, url: str) -> Next | None:
        """Play a Gather's prompts, then give it the caller's next input (or the timeout)."""
        self.redirects = 0
        for child in gather:
            if child.tag not in ("Say", "Play", "Pause"):
                self.fail(f"<{child.tag}> cannot be nested in <Gather>", url)
                return None
            self.verb(child, url)
        attrs = dict(gather.attrib)
        modes = attrs.get("input", "dtmf").split()
        action = urljoin(url, attrs.get("action", ""))  # no action: the current document
        method = attrs.get("method", "POST").upper()
        self.record("gather", _describe_wait(attrs), action, attrs)
        token = self.take_input()
        if token is None:
            self.record("caller-hung-up", url=url)
            self.end("caller-hung-up")
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
                    return Next(action, method, {"Digits": digits})
        elif "speech" not in modes:
            self.record(
                "error", f"speech not accepted here (input={' '.join(modes)}): {token!r}", url
            )
        else:
            self.record("speech", token)
            return Next(action, method, {"SpeechResult": token, "Confidence": "0.9"})
        # No usable input: the timeout passes and Twilio goes on to the next verb.
        self.seconds += float(attrs.get("timeout", "5"))
        if attrs.get("actionOnEmptyResult") == "true":
            return Next(action, method, {})
        return None

    def _redirect(self, verb: ET.Element, url: str) -> Next | None:
        """Follow a <Redirect>, unless it has no URL or the call is redirecting in a loop."""
        target = (verb.text or "").strip()
        if not target:
            self.fail("<Redirect> without a URL", url)
            return None
        self.redirects += 1
        if self.redirects > self.phone.max_redirects:
            self.fail(f"more than {self.phone.max_redirects} Redirects without a Gather", url)
            return None
        destination = urljoin(url, target)
        self.record("redirect", target, destination)
        return Next(destination, verb.get("method", "POST").upper(), {})
