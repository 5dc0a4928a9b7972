"""A pretend telephone that calls a helpline's webhooks exactly as Twilio would.

Nobody needs a Twilio account to hear the helpline: `Phone` posts Twilio's form parameters
(signed, given the auth token) to the helpline's URLs, follows the TwiML it answers with, and
records what the caller would hear in a `Transcript`. It talks to a Flask app in-process or to
a running server over HTTP.
"""

from __future__ import annotations

import secrets
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlencode, urljoin

import requests
from flask import Flask
from twilio.request_validator import RequestValidator

from ivr.numbers import PRACTICE_CALLER
from ivr.practice.outcomes import DIAL_OUTCOMES

DEFAULT_CALLER = PRACTICE_CALLER
DEFAULT_CALLED = "+441632960000"
INPUT_PROMPT = "Keys, words, or Enter for silence (q hangs up): "
_KEYS = frozenset("0123456789*#")
_SILENCE = ("", ".")
_LINES = {
    "say": "Helpline: {text}",
    "play": "Helpline plays: {text}",
    "pause": "  (pause {text} s)",
    "gather": "  [{text}]",
    "speech": 'You say: "{text}"',
    "silence": "  (silence)",
    "redirect": "  (redirect to {url})",
    "whisper": "  (the person answering hears: {text})",
    "hangup": "Helpline hangs up.",
    "reject": "Helpline rejects the call.",
    "fell-off-end": "  (the TwiML from {url} ran out {text} without a <Hangup>)",
    "caller-hung-up": "You hang up.",
    "error": "  !! ERROR: {text}",
    "end": "Call ended.",
}


def twilio_params(
    call_sid: str, account_sid: str, caller: str, called: str, *, ringing: bool
) -> dict[str, str]:
    """The parameters Twilio sends with every request about an inbound call."""
    return {
        "CallSid": call_sid,
        "AccountSid": account_sid,
        "From": caller,
        "To": called,
        "Caller": caller,
        "Called": called,
        "CallStatus": "ringing" if ringing else "in-progress",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


def answering_params(
    params: Mapping[str, str], dial_sid: str, number: str, caller_id: str
) -> dict[str, str]:
    """The parameters of the call a <Dial> makes to `number`: a child of the call in `params`."""
    return dict(params) | {
        "CallSid": dial_sid,
        "ParentCallSid": params["CallSid"],
        "From": caller_id,
        "To": number,
        "Caller": caller_id,
        "Called": number,
        "Direction": "outbound-dial",
        "CallStatus": "in-progress",
    }


def signed_request(
    auth_token: str | None, method: str, url: str, params: Mapping[str, str]
) -> tuple[str, dict[str, str], dict[str, str]]:
    """What Twilio sends: (url, form, headers). A GET carries the parameters in its query
    string, and is signed so; the signature is left out when there is no auth token."""
    form = dict(params)
    if method == "GET":
        url += ("&" if "?" in url else "?") + urlencode(form)
        form = {}
    headers = {"User-Agent": "TwilioProxy/1.1"}
    if auth_token:
        headers["X-Twilio-Signature"] = str(
            RequestValidator(auth_token).compute_signature(url, form)
        )
    return url, form, headers


def parse_keys(text: str) -> list[str]:
    """Split a script such as `2 1 . "talk to a nurse" 0` into input tokens (an unclosed
    quote cannot be split as shell words: then the words are taken as they are)."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


@dataclass(frozen=True)
class Event:
    """One thing that happened on the call; `kind` says what (see `Event.line`)."""

    kind: str
    text: str = ""
    url: str = ""
    attrs: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        """The event as a line for a person at a terminal."""
        if self.kind == "keys":
            sent = self.attrs.get("Digits", "")
            if sent == self.text:
                return f"You press: {self.text}"
            note = f"sends {sent}" if sent else "sends nothing: same as silence"
            return f"You press: {self.text}  ({note})"
        if self.kind == "play" and self.attrs.get("caption"):
            return f"Helpline: {self.attrs['caption']}  (recorded)"
        if self.kind == "dial":
            outcome = self.attrs.get("outcome", "")
            if outcome == "answered" and not self.attrs.get("action"):
                outcome += ": you talk to a person"
            return f"Ringing {self.text} ({outcome})"
        if self.kind == "request":
            return f"  -> {self.text} {self.url} ({self.attrs.get('status', '?')})"
        template = _LINES.get(self.kind, "  ({kind}: {text})")
        return template.format(kind=self.kind, text=self.text, url=self.url)


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
    events: list[Event] = field(default_factory=list)
    requests: list[WebhookRequest] = field(default_factory=list)

    @property
    def ended_by(self) -> str:
        """How it ended: hangup, reject, fell-off-end, caller-hung-up, dial-answered or error."""
        ends = self.of_kind("end")
        return ends[-1].text if ends else ""

    def of_kind(self, *kinds: str) -> list[Event]:
        """The events of the given kinds, in order."""
        return [e for e in self.events if e.kind in kinds]

    def kinds(self) -> list[str]:
        """The kind of every event, in order (handy in assertions)."""
        return [e.kind for e in self.events]

    def heard(self) -> list[str]:
        """Everything the helpline said to the caller, in order."""
        return [e.text for e in self.of_kind("say")]

    def errors(self) -> list[Event]:
        """The error events; a healthy helpline has none."""
        return self.of_kind("error")

    def text(self, *, show_requests: bool = False) -> str:
        """The whole call as printable lines."""
        lines = [e.line() for e in self.events if show_requests or e.kind != "request"]
        return "\n".join(lines)


class _Next(NamedTuple):
    """The next webhook request to make, and the parameters it adds."""

    url: str
    method: str
    extra: dict[str, str]


def remote_captions(base_url: str, timeout: float = 10.0) -> Callable[[str], str | None] | None:
    """The captions a running helpline publishes (/audio/captions.json), for a phone calling it
    over HTTP; None when it publishes none (or cannot be reached: the call says so itself)."""
    try:
        answer = requests.get(f"{base_url.rstrip('/')}/audio/captions.json", timeout=timeout)
        found = answer.json() if answer.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None
    if not isinstance(found, dict) or not found:
        return None
    words = {str(name): str(text) for name, text in found.items()}
    return lambda url: words.get(url.rsplit("/", 1)[-1])


class Phone:
    """Calls a helpline (a Flask app, or the base URL of a running server) as Twilio would."""

    def __init__(
        self,
        target: Flask | str,
        auth_token: str | None = None,
        caller: str = DEFAULT_CALLER,
        dial_outcome: str | Sequence[str] = "answered",
        printer: Callable[[str], None] | None = None,
        *,
        called: str = DEFAULT_CALLED,
        show_requests: bool = False,
        status_path: str | None = "/voice/status",
        max_requests: int = 500,
        max_redirects: int = 20,
        http_timeout: float = 15.0,
        captions: Callable[[str], str | None] | None = None,
        on_event: Callable[[Event], None] | None = None,
        base_url: str | None = None,
    ) -> None:
        self.app = target if isinstance(target, Flask) else None
        # In-process, `base_url` is the address the app believes it has (what Twilio signs).
        default = "http://localhost" if self.app else str(target)
        self.base_url = (base_url or default).rstrip("/")
        self.auth_token = auth_token
        self.caller, self.called = caller, called
        outcomes = [dial_outcome] if isinstance(dial_outcome, str) else list(dial_outcome)
        bad = [o for o in outcomes if o not in DIAL_OUTCOMES]
        if bad or not outcomes:
            raise ValueError(f"dial outcomes must be some of {sorted(DIAL_OUTCOMES)}: {bad}")
        self.dial_outcomes = outcomes
        self.printer = printer
        self.show_requests = show_requests
        self.status_path = status_path
        self.max_requests, self.max_redirects = max_requests, max_redirects
        self.http_timeout = http_timeout
        # The written words of a <Play> URL, where known (the helpline's own rendered prompts).
        self.captions = captions
        self.on_event = on_event
        self.account_sid = "AC" + secrets.token_hex(16)

    def call(
        self,
        script: Sequence[str] | str | None = None,
        *,
        input_fn: Callable[[str], str] | None = None,
        path: str = "/voice/incoming",
    ) -> Transcript:
        """Ring the helpline at `path`, answering each Gather from `script` or `input_fn`.

        A script is a list of tokens (or one string for `parse_keys`): keys like "1" or "#",
        "." or "" for silence, anything else is speech; when it runs out the caller hangs up.
        `input_fn(prompt)` is asked instead, interactively: EOF or "q" hangs up.
        """
        if script is not None and input_fn is not None:
            raise TypeError("give a script or an input_fn, not both")
        if input_fn is not None:
            next_input = _interactive(input_fn)
        else:
            # A str is a Sequence[str] of characters: split it as words instead.
            tokens = parse_keys(script) if isinstance(script, str) else list(script or [])
            it: Iterator[str] = iter(tokens)
            next_input = lambda: next(it, None)  # noqa: E731
        return _Call(self, next_input).run(self.base_url + path)


def _interactive(input_fn: Callable[[str], str]) -> Callable[[], str | None]:
    """Adapt `input()`-like functions: None (the caller hangs up) on EOF, Ctrl-C or "q"."""

    def ask() -> str | None:
        try:
            line = input_fn(INPUT_PROMPT).strip()
        except (EOFError, KeyboardInterrupt):
            return None
        return None if line.lower() in ("q", "quit") else line

    return ask


def _normalise(text: str) -> str:
    return " ".join(text.split())


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


class _Call:
    """The state of one call in progress."""

    def __init__(self, phone: Phone, next_input: Callable[[], str | None]) -> None:
        self.phone = phone
        self.next_input = next_input
        self.sid = "CA" + secrets.token_hex(16)
        self.transcript = Transcript(call_sid=self.sid)
        self.outcomes = list(phone.dial_outcomes)
        self.ended = False
        self.redirects = 0  # Redirects since the last Gather: many in a row is a loop
        self.seconds = 0.0  # a rough call length for the status callback
        self.client = phone.app.test_client() if phone.app else None
        self.session: requests.Session | None = None

    def run(self, start_url: str) -> Transcript:
        # In-process calls go through the app's test client: no HTTP session to open.
        with nullcontext() if self.client else requests.Session() as self.session:
            step: _Next | None = _Next(start_url, "POST", {})
            while step is not None and not self.ended:
                root = self._fetch(step.method, step.url, self._params(step.extra))
                if root is None:
                    self._end("error")
                    break
                step = self._document(root, step.url)
        return self.transcript

    # --- recording -----------------------------------------------------------------------

    def _emit(
        self, kind: str, text: str = "", url: str = "", attrs: dict[str, str] | None = None
    ) -> None:
        event = Event(kind, text, url, attrs or {})
        self.transcript.events.append(event)
        if self.phone.printer and (kind != "request" or self.phone.show_requests):
            self.phone.printer(event.line())
        if self.phone.on_event:
            self.phone.on_event(event)

    def _error(self, text: str, url: str = "", attrs: dict[str, str] | None = None) -> None:
        self._emit("error", text, url, attrs)

    def _fail(self, text: str, url: str) -> None:
        """Twilio could not go on ("an application error has occurred"): the call ends."""
        self._error(text, url)
        self._end("error")

    def _end(self, how: str, call_status: str = "completed") -> None:
        """End the call, then post the status callback as Twilio does once a call is over."""
        self.ended = True
        self._emit("end", how)
        if self.phone.status_path is None:
            return
        url = self.phone.base_url + self.phone.status_path
        extra = {"CallStatus": call_status, "CallDuration": str(round(self.seconds))}
        status, _, body = self._send("POST", url, self._params(extra))
        if status != 200:
            self._error(f"status callback answered HTTP {status}: {body[:200]!r}", url)

    # --- transport -----------------------------------------------------------------------

    def _params(self, extra: dict[str, str]) -> dict[str, str]:
        # The first request is made while the call is still ringing.
        ringing = not self.transcript.requests
        phone = self.phone
        return (
            twilio_params(self.sid, phone.account_sid, phone.caller, phone.called, ringing=ringing)
            | extra
        )

    def _send(self, method: str, url: str, params: dict[str, str]) -> tuple[int, str, str]:
        """Make one request as Twilio would; answer (status, content type, body)."""
        url, form, headers = signed_request(self.phone.auth_token, method, url, params)
        if self.client is not None:
            # Errors raised inside an in-process app propagate: their traceback helps more.
            response = self.client.open(url, method=method, data=form, headers=headers)
            answer = (response.status_code, response.content_type or "", response.get_data(True))
            response.close()
        else:
            assert self.session is not None
            try:
                reply = self.session.request(
                    method,
                    url,
                    data=form,
                    headers=headers,
                    timeout=self.phone.http_timeout,
                    allow_redirects=False,
                )
                answer = (reply.status_code, reply.headers.get("Content-Type", ""), reply.text)
            except requests.RequestException as exc:
                answer = (0, "", f"{type(exc).__name__}: {exc}")
        self.transcript.requests.append(WebhookRequest(method, url, params, answer[0], answer[2]))
        self._emit("request", method, url, {"status": str(answer[0])})
        return answer

    def _fetch(self, method: str, url: str, params: dict[str, str]) -> ET.Element | None:
        """Request TwiML; None (after recording an error) if Twilio could not use the answer."""
        if len(self.transcript.requests) >= self.phone.max_requests:
            self._error(f"stopped after {self.phone.max_requests} requests", url)
            return None
        status, content_type, body = self._send(method, url, params)
        mimetype = content_type.split(";")[0].strip().lower()
        if status != 200 or mimetype != "text/xml" or not body.startswith("<?xml"):
            self._error(
                f"HTTP {status}, {content_type or 'no Content-Type'}: {body[:200]!r}",
                url,
                {"status": str(status), "content_type": content_type, "body": body[:200]},
            )
            return None
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            self._error(f"TwiML does not parse: {exc}", url, {"body": body[:200]})
            return None
        if root.tag != "Response":
            self._error(f"TwiML root is <{root.tag}>, not <Response>", url)
            return None
        return root

    # --- TwiML ---------------------------------------------------------------------------

    def _document(self, root: ET.Element, url: str) -> _Next | None:
        """Run a document's verbs in order; answer the next request, or None once ended."""
        last = "<Response>"
        for verb in root:
            step = self._verb(verb, url)
            if step is not None or self.ended:
                return step
            last = f"<{verb.tag}>"
        self._emit("fell-off-end", f"after {last}", url)
        self._end("fell-off-end")
        return None

    def _verb(self, verb: ET.Element, url: str) -> _Next | None:
        """Run one verb; answer the next request, or None to go on (or once ended)."""
        attrs = dict(verb.attrib)
        match verb.tag:
            case "Say":
                text = _normalise("".join(verb.itertext()))  # SSML children hold text too
                self.seconds += 1 + len(text.split()) / 2.5
                self._emit("say", text, url, attrs)
            case "Play":
                self.seconds += 10
                played = (verb.text or "").strip() or attrs.get("digits", "")
                caption = self.phone.captions(played) if self.phone.captions else None
                if caption:
                    attrs["caption"] = caption
                self._emit("play", played, url, attrs)
            case "Pause":
                self.seconds += int(attrs.get("length", "1"))
                self._emit("pause", attrs.get("length", "1"), url)
            case "Gather":
                return self._gather(verb, url)
            case "Redirect":
                return self._redirect(verb, url)
            case "Dial":
                return self._dial(verb, url)
            case "Hangup":
                self._emit("hangup", url=url)
                self._end("hangup")
            case "Reject":
                self._emit("reject", url=url, attrs=attrs)
                self._end("reject", "busy" if attrs.get("reason") == "busy" else "no-answer")
            case _:
                self._fail(f"unsupported verb <{verb.tag}>", url)
        return None

    def _gather(self, gather: ET.Element, url: str) -> _Next | None:
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
        self._emit("gather", _describe_wait(attrs), action, attrs)
        token = self.next_input()
        if token is None:
            self._emit("caller-hung-up", url=url)
            self._end("caller-hung-up")
            return None
        token = token.strip()
        if token in _SILENCE:
            self._emit("silence")
        elif set(token) <= _KEYS:
            if "dtmf" not in modes:
                self._error(f"keys not accepted here (input={' '.join(modes)}): {token}", url)
            else:
                finish, num_digits = attrs.get("finishOnKey", "#"), attrs.get("numDigits")
                digits = _collect_digits(token, finish, num_digits)
                self._emit("keys", token, url, {"Digits": digits})
                # Pressing only the finishOnKey counts as no input, as does a timeout.
                if digits:
                    return _Next(action, method, {"Digits": digits})
        elif "speech" not in modes:
            self._error(f"speech not accepted here (input={' '.join(modes)}): {token!r}", url)
        else:
            self._emit("speech", token)
            return _Next(action, method, {"SpeechResult": token, "Confidence": "0.9"})
        # No usable input: the timeout passes and Twilio goes on to the next verb.
        self.seconds += float(attrs.get("timeout", "5"))
        if attrs.get("actionOnEmptyResult") == "true":
            return _Next(action, method, {})
        return None

    def _redirect(self, verb: ET.Element, url: str) -> _Next | None:
        target = (verb.text or "").strip()
        if not target:
            self._fail("<Redirect> without a URL", url)
            return None
        self.redirects += 1
        if self.redirects > self.phone.max_redirects:
            self._fail(f"more than {self.phone.max_redirects} Redirects without a Gather", url)
            return None
        destination = urljoin(url, target)
        self._emit("redirect", target, destination)
        return _Next(destination, verb.get("method", "POST").upper(), {})

    def _dial(self, dial: ET.Element, url: str) -> _Next | None:
        # Successive Dials take successive outcomes; the last one is kept for any more.
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        numbers = [_normalise(c.text or "") for c in dial] or [_normalise(dial.text or "")]
        whispers = [urljoin(url, c.attrib["url"]) for c in dial if c.get("url")]
        if not any(numbers):
            self._fail("<Dial> without a number", url)
            return None
        attrs = dict(dial.attrib) | {"outcome": outcome, "whisper": " ".join(whispers)}
        self._emit("dial", ", ".join(numbers), url, attrs)
        dial_sid = "CA" + secrets.token_hex(16)
        extra = {"DialCallStatus": DIAL_OUTCOMES[outcome], "DialCallSid": dial_sid}
        if outcome in ("answered", "declined"):
            bridged = True
            if whispers:
                bridged = self._whisper(
                    whispers[0],
                    dial_sid,
                    numbers[0],
                    attrs.get("callerId"),
                    accept=outcome == "answered",
                )
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

    def _whisper(
        self, url: str, dial_sid: str, number: str, caller_id: str | None, accept: bool
    ) -> bool:
        """Play the whisper to the person who answers, as Twilio does; whether they took the call.

        A <Gather> in the whisper is answered with 1 when `accept`, else with silence (a person
        who does not press, or a voicemail); a <Hangup> there means the call is not bridged.
        """
        params = answering_params(
            self._params({}), dial_sid, number, caller_id or self.phone.called
        )
        document: ET.Element | None = self._fetch("POST", url, params)
        for _ in range(5):  # a whisper is a short exchange; stop any loop
            if document is None:
                return False
            pressed = False
            for verb in document:
                if verb.tag == "Say":
                    self._emit("whisper", _normalise("".join(verb.itertext())), url)
                elif verb.tag == "Gather":
                    said = [_normalise("".join(v.itertext())) for v in verb if v.tag == "Say"]
                    self._emit("whisper", " ".join(said), url)
                    if accept:
                        url = urljoin(url, verb.get("action", url))
                        document = self._fetch("POST", url, params | {"Digits": "1"})
                        pressed = True
                        break
                elif verb.tag == "Hangup":
                    return False
            if not pressed:
                return True  # the whisper ran out without hanging up: the call is bridged
        return False
