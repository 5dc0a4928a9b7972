"""The staff site's voicemails: each message with what the caller was listening to, a player,
and mark-done. The recording is fetched from Twilio with the account's credentials and passed
on to the signed-in browser; the browser never holds them, nor Twilio's address."""

from __future__ import annotations

import array
import base64
import io
import logging
import math
import sys
import urllib.error
import urllib.request
import wave
from collections.abc import Iterator
from functools import cache
from http.client import HTTPResponse

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ivr.staff.api import MAX_ID
from ivr.store.voicemails import TwilioAccount
from ivr.webhooks.helpline import helpline

log = logging.getLogger("ivr.staff")
bp = Blueprint("voicemails", __name__, url_prefix="/voicemails")
# Seconds to wait for Twilio at each step: connecting, its answer, each chunk.
FETCH_TIMEOUT = 30
CHUNK = 32 * 1024
# What the browser may ask Twilio for, and what it may hear back, beside the audio itself.
PASSED_ON = ("Content-Length", "Content-Range", "Accept-Ranges")


@bp.get("/")
def page() -> ResponseReturnValue:
    """Voicemails not done yet, oldest first; practice ones apart."""
    g.media_src = True  # the page's <audio> players load from this site
    store = helpline().store
    found = store.open_voicemails()
    return render_template(
        "staff/voicemails.html",
        voicemails=[v for v in found if not v.practice],
        practice=[v for v in found if v.practice],
        now=store.clock(),
        retention_days=helpline().settings.retention_days,
    )


@bp.post(f"/<int(max={MAX_ID}):voicemail_id>/done")
def done(voicemail_id: int) -> ResponseReturnValue:
    """Mark a voicemail done: it is deleted, with its recording, after the retention period."""
    helpline().store.mark_voicemail_done(voicemail_id)
    return redirect(url_for("staff.voicemails.page"))


@bp.get(f"/<int(max={MAX_ID}):voicemail_id>/recording")
def recording(voicemail_id: int) -> ResponseReturnValue:
    """The recording, from Twilio (or the stand-in, for a practice voicemail)."""
    found = helpline().store.voicemail(voicemail_id)
    if found is None or not found.playable:
        return "There is no recording for this voicemail.", 404, {"Content-Type": "text/plain"}
    if found.practice or found.recording_sid is None:
        return Response(stand_in(), mimetype="audio/wav")
    settings = helpline().settings
    twilio = TwilioAccount.named(
        settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base_url
    )
    if twilio is None:
        said = "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed to play recordings."
        return said, 503, {"Content-Type": "text/plain"}
    return _from_twilio(twilio, found.recording_sid, voicemail_id)


def _from_twilio(twilio: TwilioAccount, recording_sid: str, voicemail_id: int) -> Response:
    """Stream Twilio's MP3 of the recording, a byte range of it where the browser asks one."""
    fetch = urllib.request.Request(twilio.media_url(recording_sid))
    secret = base64.b64encode(f"{twilio.account_sid}:{twilio.auth_token}".encode()).decode()
    # Not sent on where Twilio redirects (its media may be served from elsewhere).
    fetch.add_unredirected_header("Authorization", f"Basic {secret}")
    if "Range" in request.headers:
        fetch.add_header("Range", request.headers["Range"])
    try:
        answer = urllib.request.urlopen(fetch, timeout=FETCH_TIMEOUT)
    except urllib.error.HTTPError as error:
        error.close()
        log.warning("voicemail %s: Twilio answered %s", voicemail_id, error.code)
        said = f"Twilio did not give the recording (HTTP {error.code})."
        return Response(said, 502, mimetype="text/plain")
    except OSError as error:  # refused, unreachable, timed out
        log.warning("voicemail %s: Twilio did not answer (%s)", voicemail_id, type(error).__name__)
        return Response("Twilio did not answer. Try again in a minute.", 502, mimetype="text/plain")
    headers = {name: answer.headers[name] for name in PASSED_ON if name in answer.headers}
    return Response(_chunks(answer), answer.status, headers=headers, mimetype="audio/mpeg")


def _chunks(answer: HTTPResponse) -> Iterator[bytes]:
    """The recording as it comes, closing Twilio's connection at the end (or when dropped)."""
    try:
        while chunk := answer.read(CHUNK):
            yield chunk
    finally:
        answer.close()


@cache
def stand_in() -> bytes:
    """A practice voicemail's recording: two soft tones, as the telephone carries them (WAV,
    8 kHz, 16-bit). There is no recording at Twilio for a practice call."""
    rate = 8000
    samples = array.array("h")
    for pitch in (440.0, 330.0):
        for n in range(rate // 2):
            fade = min(1.0, n / 400, (rate // 2 - n) / 400)
            samples.append(round(6000 * fade * math.sin(2 * math.pi * pitch * n / rate)))
    if sys.byteorder == "big":  # WAV samples are little-endian
        samples.byteswap()
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(samples.tobytes())
    return out.getvalue()
