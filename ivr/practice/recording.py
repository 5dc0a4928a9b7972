"""<Record> on a practice call: a stand-in clip in place of the caller's voice.

No audio is recorded by the terminal phone or the test driver: the helpline is told of a
stand-in clip (RecordingUrl on the practice phone's own server, RecordingSid "RE" and 32 hex
digits, RecordingDuration, Digits), as Twilio tells it of a real one: the Record's action first,
then the signed recording status callback. The caller's input at a <Record> is the message:
words are a message that long (spoken at 2.5 words a second), keys a `STAND_IN_SECONDS` message
finished with the first finishOnKey among them, and silence records nothing, so the document goes
on to the verb after the <Record>, as on Twilio.
"""

from __future__ import annotations

import io
import math
import secrets
import struct
import wave
import xml.etree.ElementTree as ET
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from ivr.practice.driver import Next

if TYPE_CHECKING:
    from ivr.practice.twiml_reader import TwimlReader

#: Where the practice phones' server serves the stand-in clip (RecordingUrl: this and the sid;
#: like Twilio's, it plays with ".wav" added too).
STAND_IN_PATH = "/phone/stand-in-recording/"
STAND_IN_SECONDS = 12  # a message left by pressing a key instead of speaking
_KEYS = frozenset("0123456789*#")
_DEFAULT_FINISH = "1234567890*#"  # Twilio's: any key ends a recording


def recording_sid() -> str:
    """A RecordingSid in Twilio's form."""
    return "RE" + secrets.token_hex(16)


def stand_in_url(base_url: str, sid: str) -> str:
    """The RecordingUrl of a practice recording: the stand-in clip, on the practice server."""
    return f"{base_url.rstrip('/')}{STAND_IN_PATH}{sid}"


@cache
def stand_in_clip() -> bytes:
    """The stand-in clip, a WAV file: a second of a quiet low tone, so a player has something."""
    rate, seconds, pitch = 8000, 1, 220
    frames = b"".join(
        struct.pack("<h", int(2000 * math.sin(2 * math.pi * pitch * n / rate)))
        for n in range(rate * seconds)
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(frames)
    return out.getvalue()


def message(token: str, finish: str, max_length: int) -> tuple[int, str]:
    """The length of the message a token leaves, and the key that finished it ("" if none)."""
    if set(token) <= _KEYS:
        seconds = STAND_IN_SECONDS
        key = next((k for k in token if k in finish), "")
    else:
        seconds = max(1, round(len(token.split()) / 2.5))
        key = "#" if "#" in finish else finish[:1]
    return min(seconds, max_length), key


def record(reader: TwimlReader, verb: ET.Element, url: str) -> Next | None:
    """Take the caller's message; the request for the Record's action, or None to go on."""
    attrs = dict(verb.attrib)
    action = urljoin(url, attrs.get("action", ""))  # no action: the current document
    finish = attrs.get("finishOnKey", _DEFAULT_FINISH)
    max_length = int(attrs.get("maxLength", "3600"))
    reader.record("record", f"up to {max_length} s", action, attrs)
    token = reader.take_input()
    if token is None:
        reader.record("caller-hung-up", url=url)
        reader.end("caller-hung-up")
        return None
    token = token.strip()
    if token in ("", "."):
        # Nothing heard: after the timeout Twilio goes on to the next verb, with no request.
        reader.seconds += float(attrs.get("timeout", "5"))
        reader.record("not-recorded", url=url)
        return None
    seconds, key = message(token, finish, max_length)
    reader.seconds += seconds
    sid = recording_sid()
    recording = {
        "RecordingSid": sid,
        "RecordingUrl": stand_in_url(reader.phone.base_url, sid),
        "RecordingDuration": str(seconds),
    }
    words = "" if set(token) <= _KEYS else token
    reader.record("recorded", words, url, {"duration": str(seconds), "Digits": key})
    status_url = attrs.get("recordingStatusCallback")
    events = attrs.get("recordingStatusCallbackEvent", "completed").replace(",", " ").split()
    if status_url and "completed" in events:
        method = attrs.get("recordingStatusCallbackMethod", "POST").upper()
        # Twilio tells the status callback once the file is ready: after the action's request.
        reader.after_fetch.append(
            lambda: reader.driver.notify(
                method,
                urljoin(url, status_url),
                status_params(reader, recording),
                "the recording status callback",
            )
        )
    extra = recording | ({"Digits": key} if key else {})
    return Next(action, attrs.get("method", "POST").upper(), extra)


def status_params(reader: TwimlReader, recording: dict[str, str]) -> dict[str, str]:
    """What Twilio sends a recording status callback: the call's and recording's ids, no numbers."""
    return recording | {
        "AccountSid": reader.phone.account_sid,
        "CallSid": reader.sid,
        "RecordingStatus": "completed",
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
    }
