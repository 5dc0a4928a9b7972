"""Twilio's request parameters: their size, their shape, and their signature (checked with
twilio's RequestValidator)."""

from __future__ import annotations

import base64
import hmac
import re
from collections.abc import Iterator
from urllib.parse import unquote_plus

from twilio.request_validator import RequestValidator

# Twilio's webhooks are a few KB with 20 to 40 fields, and their URLs here are short (the call
# state is bounded by design). Anything far beyond is refused before it is parsed or hashed.
MAX_BODY_BYTES = 16 * 1024
MAX_FIELDS = 100
MAX_QUERY_BYTES = 2048

# The shapes of what Twilio sends. A value of another shape did not come from Twilio as it is
# (a captured signed request re-split, say): it is treated as missing, never stored.
CALL_SID = re.compile(r"CA[0-9a-f]{32}")
KEYS = re.compile(r"[0-9*#]{1,20}")
COUNT = re.compile(r"[0-9]{1,9}")  # ASCII digits only: str.isdigit() takes "²", int() does not
# How a call ended: Twilio's final CallStatus values. A call to a person (DialCallStatus)
# ends in the same ones.
ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
CALL_STATUSES = ENDED | {"queued", "ringing", "in-progress"}
DIAL_STATUSES = ENDED
MAX_SPEECH = 500


# The escapes in most of what Twilio sends: numbers (+44...), times, and spaces as "+". Values
# with only these are decoded by replacing them (a few times faster than unquote_plus).
_COMMON_ESCAPES = (("%2B", "+"), ("%3A", ":"), ("%2C", ","), ("%2F", "/"))


def _unquote(value: str) -> str:
    """A form value, decoded: what unquote_plus gives, sooner for the common escapes."""
    if value.count("%") != sum(value.count(escape) for escape, _ in _COMMON_ESCAPES):
        return unquote_plus(value)
    value = value.replace("+", " ")  # before "%2B" becomes "+"
    for escape, plain in _COMMON_ESCAPES:
        value = value.replace(escape, plain)
    return value


def too_big(content_length: int | None, query: bytes, body: str | None = None) -> str | None:
    """Why a request is too big to be one of Twilio's webhooks, or None if it is not."""
    if content_length is not None and content_length > MAX_BODY_BYTES:
        return f"a body over {MAX_BODY_BYTES} bytes"
    if len(query) > MAX_QUERY_BYTES:
        return f"a query string over {MAX_QUERY_BYTES} bytes"
    if body is not None and body.count("&") >= MAX_FIELDS:
        return f"over {MAX_FIELDS} fields"
    return None


def count(value: str) -> int | None:
    """A whole number Twilio sends (a duration, a position), or None."""
    return int(value) if COUNT.fullmatch(value) else None


class TwilioParams:
    """The form Twilio posted, parsed once, in the shape RequestValidator reads fastest."""

    __slots__ = ("_values",)

    def __init__(self, body: str) -> None:
        # A plain split and unquoting only what is quoted: parse_qsl costs about as much as the
        # rest of answering a webhook, for the 20-30 short fields Twilio sends.
        self._values: dict[str, list[str]] = {}
        for pair in body.split("&"):
            if not pair:
                continue
            name, _, value = pair.partition("=")
            if "%" in name or "+" in name:
                name = unquote_plus(name)
            if "%" in value or "+" in value:
                value = _unquote(value)
            self._values.setdefault(name, []).append(value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __bool__(self) -> bool:
        return bool(self._values)

    def getall(self, name: str) -> list[str]:
        """Every value sent under a name (RequestValidator asks for this first)."""
        return self._values[name]

    def get(self, name: str, default: str = "") -> str:
        """The first value sent under a name."""
        values = self._values.get(name)
        return values[0] if values else default


def signature_of(token: bytes, url: str, params: TwilioParams) -> str:
    """X-Twilio-Signature for a URL and form: Base64(HMAC-SHA1(token, URL + each name and value,
    sorted)), as twilio's RequestValidator.compute_signature makes it (the tests hold the two
    to the same answers), in one C-level HMAC over one joined string."""
    parts = [url]
    for name in sorted(params._values):
        values = params._values[name]
        for value in sorted(set(values)) if len(values) > 1 else values:
            parts.append(name)
            parts.append(value)
    return base64.b64encode(hmac.digest(token, "".join(parts).encode(), "sha1")).decode()


def is_signed(validator: RequestValidator, url: str, params: TwilioParams, signature: str) -> bool:
    """Whether X-Twilio-Signature matches the URL and parameters.

    The URL as received is tried first (one HMAC); only when that fails does the validator's
    own check run, which also tries the URL with and without its port, as Twilio may sign either.
    """
    expected = signature_of(validator.token, url, params)
    if hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return True
    return bool(validator.validate(url, params, signature))
