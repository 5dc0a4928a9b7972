"""Twilio's side of a practice call: the parameters it sends, its signature, and the requests
themselves, to a Flask app in-process or to a server over HTTP."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import unquote, urlencode

import requests
from twilio.request_validator import RequestValidator

from ivr.call.texting import PRACTICE_TEXT_HEADER
from ivr.practice.transcript import Recorder, WebhookRequest

if TYPE_CHECKING:
    from ivr.practice.phone import Phone


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


class Next(NamedTuple):
    """The next webhook request a call makes, and the parameters it adds to Twilio's own."""

    url: str
    method: str
    extra: dict[str, str]


class Answer(NamedTuple):
    """What a webhook answered: its HTTP status (0: no answer at all), content type and body."""

    status: int
    content_type: str
    body: str


def twiml_problem(answer: Answer) -> str | None:
    """Why Twilio could not use an answer as TwiML, if it could not."""
    mimetype = answer.content_type.split(";")[0].strip().lower()
    if answer.status != 200 or mimetype != "text/xml" or not answer.body.startswith("<?xml"):
        content_type = answer.content_type or "no Content-Type"
        return f"HTTP {answer.status}, {content_type}: {answer.body[:200]!r}"
    return None


class TwilioDriver:
    """Twilio's side of one practice call: each request with the call's parameters, signed,
    sent (to an app through its test client, or over HTTP in one session for the call: `with
    driver:`) and recorded, and each answer read as TwiML as Twilio would."""

    def __init__(self, phone: Phone, call_sid: str, record: Recorder) -> None:
        self.phone = phone
        self.call_sid = call_sid
        self.record = record
        self.requests = record.transcript.requests
        self.client = phone.app.test_client() if phone.app else None
        self.session: requests.Session | None = None

    def __enter__(self) -> TwilioDriver:
        # In-process calls go through the app's test client: no HTTP session to open.
        if self.client is None:
            self.session = requests.Session()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def params(self, extra: Mapping[str, str]) -> dict[str, str]:
        """Twilio's parameters for the call's next request, with `extra`."""
        phone = self.phone
        # The first request is made while the call is still ringing.
        ringing = not self.requests
        return twilio_params(
            self.call_sid, phone.account_sid, phone.caller, phone.called, ringing=ringing
        ) | dict(extra)

    def send(self, method: str, url: str, params: dict[str, str]) -> Answer:
        """Make one request as Twilio would, and record it. An unreachable server is an
        answer with status 0, not an exception."""
        url, form, headers = signed_request(self.phone.auth_token, method, url, params)
        if self.client is not None:
            # Errors raised inside an in-process app propagate: their traceback helps more.
            response = self.client.open(url, method=method, data=form, headers=headers)
            body = response.get_data(as_text=True)
            answer = Answer(response.status_code, response.content_type or "", body)
            texted = response.headers.get(PRACTICE_TEXT_HEADER, "")
            response.close()
        else:
            answer, texted = self._over_http(method, url, form, headers)
        self.requests.append(WebhookRequest(method, url, params, answer.status, answer.body))
        self.record("request", method, url, {"status": str(answer.status)})
        if texted:  # a practice call never sends a text: the helpline says what it would send
            self.record("text", unquote(texted), url)
        return answer

    def notify(self, method: str, url: str, params: dict[str, str], what: str) -> None:
        """Send a callback whose answer Twilio ignores (a status callback); record a refusal."""
        answer = self.send(method, url, params)
        if answer.status not in (200, 204):
            self.record(
                "error", f"{what} answered HTTP {answer.status}: {answer.body[:200]!r}", url
            )

    def _over_http(
        self, method: str, url: str, form: dict[str, str], headers: dict[str, str]
    ) -> tuple[Answer, str]:
        assert self.session is not None, "send within `with driver:`"
        try:
            reply = self.session.request(
                method,
                url,
                data=form,
                headers=headers,
                timeout=self.phone.http_timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return Answer(0, "", f"{type(exc).__name__}: {exc}"), ""
        texted = reply.headers.get(PRACTICE_TEXT_HEADER, "")
        return Answer(reply.status_code, reply.headers.get("Content-Type", ""), reply.text), texted

    def fetch(self, method: str, url: str, params: dict[str, str]) -> ET.Element | None:
        """Request TwiML; None (after recording an error) if Twilio could not use the answer."""
        if len(self.requests) >= self.phone.max_requests:
            self.record("error", f"stopped after {self.phone.max_requests} requests", url)
            return None
        answer = self.send(method, url, params)
        problem = twiml_problem(answer)
        if problem is not None:
            attrs = {"status": str(answer.status), "content_type": answer.content_type}
            self.record("error", problem, url, attrs | {"body": answer.body[:200]})
            return None
        try:
            root = ET.fromstring(answer.body)
        except ET.ParseError as exc:
            self.record("error", f"TwiML does not parse: {exc}", url, {"body": answer.body[:200]})
            return None
        if root.tag != "Response":
            self.record("error", f"TwiML root is <{root.tag}>, not <Response>", url)
            return None
        return root
