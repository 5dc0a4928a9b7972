"""The nurse line's webhooks: the whisper a nurse hears, the end of each nurse's leg, the
queue (its wait, keys and way out) and messages for the nurses. They join the webhooks'
blueprint (ivr.webhooks.views), signature check and all."""

from __future__ import annotations

import logging
import re

from flask import Response, request

from ivr.call.state import NURSE_KEY
from ivr.call.steps import Hold
from ivr.webhooks.helpline import helpline
from ivr.webhooks.signature import ENDED, count
from ivr.webhooks.views import (
    EMPTY,
    UNKNOWN,
    answer,
    bp,
    call_sid,
    current_caller,
    heard_as,
    inbound,
    keys_pressed,
    param,
    twilio_id,
    twiml,
)

log = logging.getLogger("ivr.calls")
# How a caller left Twilio's queue (QueueResult); anything else counts as an error.
QUEUE_RESULTS = frozenset(
    {
        "bridged",
        "bridging-in-process",
        "error",
        "hangup",
        "leave",
        "redirected",
        "redirected-from-bridged",
        "queue-full",
        "system-error",
    }
)
RECORDING_SID = re.compile(r"RE[0-9a-f]{32}")
RECORDING_URL = re.compile(
    r"https://[a-z0-9.-]+(:\d+)?/2010-04-01/Accounts/AC[0-9a-f]{32}/Recordings/RE[0-9a-f]{32}"
)


@bp.route("/whisper", methods=["GET", "POST"])
def whisper() -> Response:
    """Played to the nurse who answers (<Number url>): why the caller rang (and how long they
    waited, if they came from the queue); 1 takes the call."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    parent = twilio_id(param("ParentCallSid"))
    waited = engine.nurse_line.waited_minutes(parent) if parent != UNKNOWN else None
    step = engine.whisper(decoded, waited)
    return answer(step, decoded.state.node, "answered", journal=False)


@bp.route("/nurse/status", methods=["GET", "POST"])
def nurse_status() -> Response:
    """A nurse's leg ended (its status callback): the nurse can be rung for other calls."""
    parent = twilio_id(param("ParentCallSid"))
    nurse = request.args.get("nurse", "")
    if parent != UNKNOWN and NURSE_KEY.fullmatch(nurse):
        status = param("CallStatus")
        helpline().engine.nurse_line.leg_ended(
            parent, nurse, status if status in ENDED else "ended"
        )
    return twiml(EMPTY)


@bp.route("/queue/wait", methods=["GET", "POST"])
def queue_wait() -> Response:
    """A turn of the wait in the queue (Enqueue's waitUrl), asked again as each one ends."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    waited = count(param("QueueTime"))
    average = count(param("AvgQueueTime")) or 0
    step = engine.nurse_line.wait(decoded, current_caller(), waited, average)
    # Quiet turns come every few seconds: only what the caller hears goes in the journal.
    heard = step.prompts if isinstance(step, Hold) else ("leave",)
    return answer(step, decoded.state.node, "queue:wait", journal=bool(heard))


@bp.route("/queue/key", methods=["GET", "POST"])
def queue_key() -> Response:
    """A key pressed while waiting in the queue."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    keys = keys_pressed()
    step = engine.nurse_line.key(decoded, keys, current_caller())
    return answer(step, decoded.state.node, f"queue:{heard_as(keys, '', decoded.state)}")


@bp.route("/queue/left", methods=["GET", "POST"])
def queue_left() -> Response:
    """Out of the queue (Enqueue's action, with QueueResult): where the caller goes next."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    result = param("QueueResult")
    result = result if result in QUEUE_RESULTS else "error"
    step = engine.nurse_line.left(decoded, result, current_caller())
    return answer(step, decoded.state.node, f"queue:{result}")


@bp.route("/voicemail/saved", methods=["GET", "POST"])
def voicemail_saved() -> Response:
    """A message was recorded (Record's action), or nothing was (the Redirect after it)."""
    found = helpline()
    decoded = found.engine.read_state(inbound().query)
    duration = count(param("RecordingDuration")) or 0
    recording = twilio_id(param("RecordingSid"), RECORDING_SID)
    caller = current_caller()
    saved = False
    if param("RecordingUrl") and duration >= 1 and caller.sid:
        listening_to, reasons = found.engine.nurse_line.context(decoded.state)
        try:
            found.store.save_voicemail(caller.sid, listening_to, reasons, caller.practice)
            if recording != UNKNOWN:
                found.store.recording_done(caller.sid, recording, _recording_url() or "", duration)
            saved = True
        except Exception:  # the caller is told nothing was saved, never left in silence
            log.exception("call=%s voicemail not saved", caller.sid)
    step = found.engine.recorded(decoded, saved, caller)
    return answer(step, decoded.state.node, f"voicemail:{'saved' if saved else 'none'}")


@bp.route("/voicemail/recording", methods=["GET", "POST"])
def voicemail_recording() -> Response:
    """The recording is ready at Twilio (its status callback): keep where to fetch it."""
    sid = call_sid()
    recording = twilio_id(param("RecordingSid"), RECORDING_SID)
    if sid != UNKNOWN and recording != UNKNOWN and param("RecordingStatus") == "completed":
        duration = count(param("RecordingDuration"))
        try:
            helpline().store.recording_done(sid, recording, _recording_url() or "", duration)
        except Exception:
            log.exception("call=%s recording not noted", sid)
    return twiml(EMPTY)


def _recording_url() -> str | None:
    """Twilio's address for a recording, if it is one (never fetched from anywhere else)."""
    url = param("RecordingUrl")
    return url if RECORDING_URL.fullmatch(url) else None


@bp.route("/whisper/accept", methods=["GET", "POST"])
def whisper_accept() -> Response:
    """The nurse's key in the whisper: 1 puts the caller through."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    keys = keys_pressed()
    return answer(
        engine.whisper_answered(decoded, keys),
        decoded.state.node,
        f"whisper:{heard_as(keys, '', decoded.state)}",
        journal=False,
    )
