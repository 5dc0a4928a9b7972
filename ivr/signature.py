"""Twilio's request parameters and signatures, checked with twilio's RequestValidator."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from urllib.parse import unquote_plus

from twilio.request_validator import RequestValidator


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
                value = unquote_plus(value)
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


def is_signed(validator: RequestValidator, url: str, params: TwilioParams, signature: str) -> bool:
    """Whether X-Twilio-Signature matches the URL and parameters.

    The URL as received is tried first (one HMAC); only when that fails does the validator's
    own check run, which also tries the URL with and without its port, as Twilio may sign either.
    """
    expected = validator.compute_signature(url, params)
    if hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return True
    return bool(validator.validate(url, params, signature))
