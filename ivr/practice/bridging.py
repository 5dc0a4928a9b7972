"""What the phone page may ask the bridge to send: Twilio's parameters for one request.

The page says which call (a CallSid only the server can mint), which leg (the caller's, the
person a transfer rings, or a recording's status callback) and what the caller did (`inputs`,
each checked against the form Twilio gives it). Everything else is the bridge's: the numbers,
the account, and a recording's URL, which is always the stand-in clip on this server, so a page
can never make the helpline keep an address of its choosing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

from flask import abort

from ivr.practice.driver import answering_params, twilio_params
from ivr.practice.recording import stand_in_url

#: What the page may add to a request, as Twilio would, and the form each value must have.
INPUTS = {
    "Digits": re.compile(r"[0-9*#]{0,40}|hangup"),
    "SpeechResult": re.compile(r"[^\x00-\x1f]{0,500}"),
    "Confidence": re.compile(r"[01](\.[0-9]{1,4})?"),
    "DialCallStatus": re.compile(r"completed|busy|no-answer|failed|canceled"),
    "DialCallSid": re.compile(r"CA[0-9a-f]{32}"),
    "DialBridged": re.compile(r"true|false"),
    "DialCallDuration": re.compile(r"[0-9]{1,6}"),
    "CallStatus": re.compile(r"completed|busy|no-answer|failed|canceled"),
    "CallDuration": re.compile(r"[0-9]{1,6}"),
    "QueueSid": re.compile(r"QU[0-9a-f]{32}"),
    "QueuePosition": re.compile(r"[0-9]{1,4}"),
    "QueueTime": re.compile(r"[0-9]{1,6}"),
    "AvgQueueTime": re.compile(r"[0-9]{1,6}"),
    "CurrentQueueSize": re.compile(r"[0-9]{1,4}"),
    "QueueResult": re.compile(r"leave|hangup|error"),
    "RecordingSid": re.compile(r"RE[0-9a-f]{32}"),
    "RecordingDuration": re.compile(r"[0-9]{1,4}"),
}
#: Twilio's own parameters: a webhook URL's query string may not set them (the bridge does).
TWILIO_NAMES = frozenset(INPUTS) | {
    "CallSid",
    "AccountSid",
    "From",
    "To",
    "Caller",
    "Called",
    "Direction",
    "ApiVersion",
    "ParentCallSid",
    "RecordingUrl",
    "RecordingStatus",
}
_SID = re.compile(r"CA([0-9a-f]{16})([0-9a-f]{16})")
_NUMBER = re.compile(r"\+[0-9]{6,15}")
_ACCOUNT = "AC" + "0" * 32


def sid_tag(secret_key: str, random_part: str) -> str:
    """The half of a practice CallSid that only this server can make."""
    return hmac.new(secret_key.encode(), random_part.encode(), hashlib.sha256).hexdigest()[:16]


def practice_sid(secret_key: str, value: object, name: str) -> str:
    """A CallSid minted by the server for the practice phone: never a real call's, so a practice
    call cannot add to a real call's journal."""
    found = _SID.fullmatch(str(value))
    if found is None or not hmac.compare_digest(
        found.group(2), sid_tag(secret_key, found.group(1))
    ):
        abort(400, f"{name} must be a practice CallSid from /phone/sid.")
    return found.group(0)


def _inputs(secret_key: str, body: Mapping[str, object]) -> dict[str, str]:
    inputs = body.get("inputs") or {}
    if not isinstance(inputs, dict) or not set(inputs) <= set(INPUTS):
        abort(400, f"inputs may only hold {sorted(INPUTS)}.")
    checked = {str(k): str(v)[:500] for k, v in inputs.items()}
    wrong = sorted(k for k, v in checked.items() if not INPUTS[k].fullmatch(v))
    if wrong:
        abort(400, f"inputs not in Twilio's form: {', '.join(wrong)}.")
    if "DialCallSid" in checked:
        practice_sid(secret_key, checked["DialCallSid"], "DialCallSid")
    return checked


def bridge_params(
    secret_key: str, body: Mapping[str, object], caller: str, called: str, base_url: str
) -> dict[str, str]:
    """Twilio's parameters for one request from the practice phone's page."""
    call_sid = practice_sid(secret_key, body.get("callSid"), "callSid")
    inputs = _inputs(secret_key, body)
    if "RecordingSid" in inputs:
        inputs["RecordingUrl"] = stand_in_url(base_url, inputs["RecordingSid"])
    leg = body.get("leg")
    if leg == "recording":
        # A recording status callback: the call's and recording's ids, no numbers.
        if "RecordingSid" not in inputs:
            abort(400, "A recording's status needs its RecordingSid.")
        return {
            "AccountSid": _ACCOUNT,
            "CallSid": call_sid,
            "RecordingStatus": "completed",
            "RecordingChannels": "1",
            "RecordingSource": "RecordVerb",
        } | inputs
    params = twilio_params(call_sid, _ACCOUNT, caller, called, ringing=bool(body.get("first")))
    if leg == "answerer":
        # The person a transfer rings: their own call, a child of the caller's.
        dialled = str(body.get("to", ""))
        if not _NUMBER.fullmatch(dialled):
            abort(400, "to must be the number dialled, in E.164.")
        dial_sid = practice_sid(secret_key, body.get("dialCallSid"), "dialCallSid")
        params = answering_params(params, dial_sid, dialled, called)
    return params | inputs
