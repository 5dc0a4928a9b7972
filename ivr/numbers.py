"""Callers' phone numbers: read with phonenumbers, said digit by digit, sealed in URLs."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken

# A number in E.164 form: + and the country code, 7 to 15 digits, no leading 0 (what Twilio
# sends, what the nurse line is set to, and the only form the store keeps for a call back).
E164 = re.compile(r"^\+[1-9]\d{6,14}$")

# The number the practice phones call from: Ofcom's range for drama, so never a real caller.
PRACTICE_CALLER = "+441632960001"

# What Twilio sends as From when the caller withholds their number.
WITHHELD = frozenset(
    {
        "",
        "anonymous",
        "restricted",
        "unknown",
        "unavailable",
        "private",
        "+266696687",
        "+7378742833",
        "+2562533",
        "+8656696",
    }
)


def is_practice_caller(caller: str | None) -> bool:
    """Whether a call comes from the practice phones, told by the number Twilio gives as From."""
    return caller is not None and caller.strip() == PRACTICE_CALLER


def uk_number(raw: str | None) -> str | None:
    """The number in E.164 form if it is a valid UK number (as keyed, 07700 900123, or as
    Twilio sends it, +447700900123); None for withheld, foreign or impossible numbers."""
    if raw is None or raw.strip().lower() in WITHHELD:
        return None
    try:
        number = phonenumbers.parse(raw.strip(), "GB")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 44 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def spoken_digits(e164: str) -> tuple[str, ...]:
    """The prompt ids that say a UK number digit by digit, as it is dialled from the UK."""
    national = phonenumbers.national_significant_number(phonenumbers.parse(e164, "GB"))
    return tuple(f"digits.d{d}" for d in "0" + national)


def spoken_groups(e164: str) -> tuple[tuple[str, ...], ...]:
    """The same ids in the groups the number is written in (0800 917 2127), for a pause
    between them."""
    written = phonenumbers.format_number(
        phonenumbers.parse(e164, "GB"), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    return tuple(tuple(f"digits.d{d}" for d in group if d.isdigit()) for group in written.split())


class Sealer:
    """Seals a keyed-in number for the next webhook URL, so it never travels in clear."""

    def __init__(self, secret_key: str) -> None:
        key = hashlib.sha256(b"ivr callback number\0" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, number: str) -> str:
        """The number, encrypted and signed (Fernet), for a URL."""
        return self._fernet.encrypt(number.encode()).decode("ascii")

    def open(self, sealed: str, max_age: int = 3600) -> str | None:
        """The number, or None if the seal was made with another key, altered, or is old."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii"), ttl=max_age).decode()
        except (InvalidToken, UnicodeError, ValueError):
            return None


def is_uk_mobile(raw: str | None) -> bool:
    """Whether libphonenumber says the number is a UK mobile (one a text can reach)."""
    number = uk_number(raw)
    if number is None:
        return False
    parsed = phonenumbers.parse(number, "GB")
    return phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE


MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-f]{32}$")


@dataclass(frozen=True)
class TextsFrom:
    """Where callers' texts are sent from: a Twilio Messaging Service (its SID), or a number
    of the account (SMS_FROM, E.164). Texts are offered only when one is set."""

    messaging_service_sid: str | None = None
    number: str | None = None


def texts_from(env: Mapping[str, str], problems: list[str]) -> TextsFrom | None:
    """TWILIO_MESSAGING_SERVICE_SID or SMS_FROM, checked; None where neither is set."""
    service = env.get("TWILIO_MESSAGING_SERVICE_SID", "").strip() or None
    number = env.get("SMS_FROM", "").strip() or None
    if service is not None and not MESSAGING_SERVICE_SID.match(service):
        problems.append(
            f"TWILIO_MESSAGING_SERVICE_SID={service!r} must be MG followed by 32 hexadecimal "
            "digits (the Messaging Service's SID in the Twilio Console)"
        )
        service = None
    if number is not None and not E164.match(number):
        problems.append(f"SMS_FROM={number!r} must be a number in E.164 form, as +447700900123")
        number = None
    return TextsFrom(service, number) if service or number else None
