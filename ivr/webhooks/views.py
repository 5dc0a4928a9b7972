"""Twilio's webhooks: check the signature, ask the engine, answer TwiML. Nothing else."""

from __future__ import annotations

import datetime as dt
import logging
import re
from urllib.parse import quote

from flask import Blueprint, Flask, Request, Response, abort, request, url_for
from werkzeug.exceptions import HTTPException

from ivr.call.state import CallState
from ivr.call.steps import Caller, Hold, Step
from ivr.webhooks.helpline import helpline
from ivr.webhooks.paths import WebhookPaths
from ivr.webhooks.signature import (
    CALL_SID,
    CALL_STATUSES,
    DIAL_STATUSES,
    ENDED,
    KEYS,
    MAX_SPEECH,
    TwilioParams,
    count,
    is_signed,
    too_big,
)

log = logging.getLogger("ivr.calls")
EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
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
NURSE_KEY = re.compile(r"n:\d{1,9}|line")
RECORDING_SID = re.compile(r"RE[0-9a-f]{32}")
RECORDING_URL = re.compile(
    r"https://[a-z0-9.-]+(:\d+)?/2010-04-01/Accounts/AC[0-9a-f]{32}/Recordings/RE[0-9a-f]{32}"
)
PREFIX = "/voice"  # every webhook's path starts here
bp = Blueprint("voice", __name__, url_prefix=PREFIX)
UNKNOWN = "-"
# Keys of any other shape did not come from a keypad: they count as a key that is no choice.
NOT_A_KEY = "?"
# What the journal and the log keep of several keys in a row: that they were keyed, never which
# (a phone number for a call back). migrations/versions/0004 scrubbed what was kept before.
KEYED_NUMBER = "keys:number"


def is_webhook(path: str) -> bool:
    """Whether a request's path is one of the webhooks' (or would be, were it a path we have)."""
    return path.startswith(PREFIX + "/")


def webhook_paths(app: Flask) -> WebhookPaths:
    """The paths the TwiML points Twilio at, built by the app's own routes (url_for)."""
    with app.test_request_context():
        return WebhookPaths(
            step=url_for("voice.step"),
            dial=url_for("voice.dial"),
            whisper=url_for("voice.whisper"),
            whisper_accept=url_for("voice.whisper_accept"),
            fallback_dialled=url_for("voice.fallback", dialled=1),
            nurse_status=url_for("voice.nurse_status"),
            queue_wait=url_for("voice.queue_wait"),
            queue_key=url_for("voice.queue_key"),
            queue_left=url_for("voice.queue_left"),
            voicemail_saved=url_for("voice.voicemail_saved"),
            voicemail_recording=url_for("voice.voicemail_recording"),
        )


def twiml(body: str) -> Response:
    """A TwiML document as Twilio wants it: 200, text/xml."""
    return Response(body, status=200, mimetype="text/xml")


class Inbound:
    """What Twilio sent with one request, read once: the form it signed (a POST's body; a GET
    signs none), its parameters (from the body, or a GET's query string), the CallSid if it
    has Twilio's shape (else "-"), and the query string (the call state)."""

    __slots__ = ("call_sid", "form", "query", "values")

    def __init__(self, body: str | None, query: str) -> None:
        self.form = TwilioParams(body or "")
        self.values = self.form if body is not None else TwilioParams(query)
        self.query = query
        sid = self.values.get("CallSid")
        self.call_sid = sid if CALL_SID.fullmatch(sid) else UNKNOWN


def inbound() -> Inbound:
    """This request's Inbound, read on first use."""
    # Kept on the request itself, not `g`: a request made from inside another (the practice
    # phone's) shares its app context, and so its `g`.
    current = request._get_current_object()  # type: ignore[attr-defined]
    found: Inbound | None = current.environ.get("ivr.inbound")
    if found is None:
        body = current.get_data(as_text=True) if current.method == "POST" else None
        query = current.query_string.decode("latin-1")
        found = current.environ["ivr.inbound"] = Inbound(body, query)
    return found


def params() -> TwilioParams:
    """The form Twilio signed: a POST's body, parsed once per request."""
    return inbound().form


def param(name: str, default: str = "") -> str:
    """One of Twilio's parameters, from the body, or the query string of a GET."""
    return inbound().values.get(name, default)


def _call_sid() -> str:
    """The call's id, if it has Twilio's shape (CA and 32 hex digits); else "-"."""
    return inbound().call_sid


def keys_pressed() -> str:
    """The keys sent, "" for none; keys of a shape no keypad sends count as no choice."""
    keys = param("Digits").strip()
    return keys if not keys or KEYS.fullmatch(keys) else NOT_A_KEY


def heard_as(keys: str, speech: str, state: CallState) -> str:
    """What the journal and the log keep of the input: one key as it is, several keys only as
    "an entry code" or "a number", words only as how many (what a caller says or keys in can
    be a phone number or their health)."""
    if keys == NOT_A_KEY:
        return "keys:invalid"
    if len(keys) > 1:
        code = keys.rstrip("#")
        return f"code:{code}" if state.phase == "code" and code.isdecimal() else KEYED_NUMBER
    if keys:
        return keys
    return f"speech:{len(speech.split())}words" if speech else "silence"


def signed_url(current: Request | None = None) -> str:
    """The URL Twilio signed: the public base URL where one is set, else what the proxy said."""
    current = current or request._get_current_object()  # type: ignore[attr-defined]
    environ = current.environ
    # The path and query exactly as requested, where the server keeps them (gunicorn, werkzeug).
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:
        query = environ.get("QUERY_STRING", "")
        raw = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
        raw += f"?{query}" if query else ""
    base = helpline().settings.public_base_url
    if base is None:
        base = f"{environ['wsgi.url_scheme']}://{current.host}"
    return base + raw


@bp.before_request
def check_signature() -> Response | None:
    """Only requests signed with our auth token get through; anything else is a 403. What is
    far bigger than any webhook is refused first, before it is parsed or hashed."""
    current = request._get_current_object()  # type: ignore[attr-defined]
    length = current.content_length
    oversized = too_big(length, current.query_string)
    if oversized is None and current.method == "POST":
        # Read only now, known to be small; sent in chunks with no length, it is measured here
        # (the app reads no more than MAX_CONTENT_LENGTH of any body).
        body = current.get_data(as_text=True)
        oversized = too_big(None if length else len(body), b"", body)
    if oversized is not None:
        log.warning("refused on %s: %s, not a webhook", current.path, oversized)
        return Response(f"Refused: {oversized}\n", 413, mimetype="text/plain")
    validator = helpline().validator
    if validator is None:  # development mode without a token, announced at start-up
        return None
    signature = current.headers.get("X-Twilio-Signature", "")
    if not is_signed(validator, signed_url(current), params(), signature):
        log.warning("call=%s refused: bad or missing signature on %s", _call_sid(), current.path)
        abort(403)
    return None


def _answer(step: Step, came_from: str, heard: str, journal: bool = True) -> Response:
    target = step.state.node
    kind = type(step).__name__.lower()
    sid = _call_sid()
    log.info(
        "call=%s from=%s heard=%s to=%s step=%s silences=%d wrong=%d",
        sid,
        came_from,
        heard or "-",
        target,
        kind,
        step.state.silences,
        step.state.wrong,
    )
    found = helpline()
    # Best-effort: never waits on the database, never raises. The nurse's leg (the whisper)
    # is not a call of its own; a request without a real CallSid is no call at all.
    if journal and sid != UNKNOWN:
        found.store.call_step(sid, came_from, heard or "-", target, kind)
    return twiml(found.render(step))


def _caller() -> Caller:
    """Who is calling: needed to offer a call back on their own number, never kept in state."""
    return Caller(_call_sid(), param("From") or None)


@bp.route("/incoming", methods=["GET", "POST"])
def incoming() -> Response:
    """A new call: the welcome inside the main menu."""
    _journal_start()
    return _answer(helpline().engine.start(), "new-call", "")


def _journal_start() -> None:
    sid = _call_sid()
    if sid != UNKNOWN:
        helpline().store.call_started(sid, param("From") or None)


@bp.route("/step", methods=["GET", "POST"])
def step() -> Response:
    """The caller pressed a key, spoke, or was silent (the Redirect after a Gather)."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    keys = keys_pressed()
    speech = param("SpeechResult").strip()[:MAX_SPEECH]
    heard = heard_as(keys, speech, decoded.state)
    return _answer(engine.respond(decoded, keys, speech, _caller()), decoded.state.node, heard)


@bp.route("/entry/<code>", methods=["GET", "POST"])
def entry(code: str) -> Response:
    """Straight to a part of the guidance: for systems that can set a URL when they transfer."""
    _journal_start()
    code = code[:3] if KEYS.fullmatch(code[:3]) else NOT_A_KEY
    return _answer(helpline().engine.enter(code), f"entry:{code}", "")


@bp.route("/dial", methods=["GET", "POST"])
def dial() -> Response:
    """The call to a person ended; DialCallStatus says how."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    status = _dial_status()
    # DialBridged says whether the two calls were joined: not when nobody pressed 1 in the whisper.
    bridged = param("DialBridged", "true") != "false"
    outcome = status if bridged or status != "completed" else "declined"
    sid = _call_sid()
    if sid != UNKNOWN:
        helpline().store.transfer_ended(sid, decoded.state.node, outcome)
    step = engine.dial_ended(decoded, status, bridged, _caller())
    return _answer(step, decoded.state.node, f"dial:{outcome}")


@bp.route("/whisper", methods=["GET", "POST"])
def whisper() -> Response:
    """Played to the nurse who answers (<Number url>): why the caller rang (and how long they
    waited, if they came from the queue); 1 takes the call."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    parent = _sid(param("ParentCallSid"))
    waited = engine.nurse_line.waited_minutes(parent) if parent != UNKNOWN else None
    step = engine.whisper(decoded, waited)
    return _answer(step, decoded.state.node, "answered", journal=False)


@bp.route("/nurse/status", methods=["GET", "POST"])
def nurse_status() -> Response:
    """A nurse's leg ended (its status callback): the nurse can be rung for other calls."""
    parent = _sid(param("ParentCallSid"))
    nurse = request.args.get("nurse", "")
    if parent != UNKNOWN and NURSE_KEY.fullmatch(nurse):
        status = param("CallStatus")
        helpline().engine.nurse_leg_ended(parent, nurse, status if status in ENDED else "ended")
    return twiml(EMPTY)


@bp.route("/queue/wait", methods=["GET", "POST"])
def queue_wait() -> Response:
    """A turn of the wait in the queue (Enqueue's waitUrl), asked again as each one ends."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    waited = count(param("QueueTime"))
    average = count(param("AvgQueueTime")) or 0
    step = engine.queue_wait(decoded, _caller(), waited, average)
    # Quiet turns come every few seconds: only what the caller hears goes in the journal.
    heard = step.prompts if isinstance(step, Hold) else ("leave",)
    return _answer(step, decoded.state.node, "queue:wait", journal=bool(heard))


@bp.route("/queue/key", methods=["GET", "POST"])
def queue_key() -> Response:
    """A key pressed while waiting in the queue."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    keys = keys_pressed()
    step = engine.queue_key(decoded, keys, _caller())
    return _answer(step, decoded.state.node, f"queue:{heard_as(keys, '', decoded.state)}")


@bp.route("/queue/left", methods=["GET", "POST"])
def queue_left() -> Response:
    """Out of the queue (Enqueue's action, with QueueResult): where the caller goes next."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    result = param("QueueResult")
    result = result if result in QUEUE_RESULTS else "error"
    step = engine.queue_left(decoded, result, _caller())
    return _answer(step, decoded.state.node, f"queue:{result}")


@bp.route("/voicemail/saved", methods=["GET", "POST"])
def voicemail_saved() -> Response:
    """A message was recorded (Record's action), or nothing was (the Redirect after it)."""
    found = helpline()
    decoded = found.engine.read_state(inbound().query)
    duration = count(param("RecordingDuration")) or 0
    recording = _sid(param("RecordingSid"), RECORDING_SID)
    caller = _caller()
    saved = False
    if param("RecordingUrl") and duration >= 1 and caller.sid:
        listening_to, reasons = found.engine.context(decoded.state)
        try:
            found.store.save_voicemail(caller.sid, listening_to, reasons, caller.practice)
            if recording != UNKNOWN:
                found.store.recording_done(caller.sid, recording, _recording_url() or "", duration)
            saved = True
        except Exception:  # the caller is told nothing was saved, never left in silence
            log.exception("call=%s voicemail not saved", caller.sid)
    step = found.engine.recorded(decoded, saved, caller)
    return _answer(step, decoded.state.node, f"voicemail:{'saved' if saved else 'none'}")


@bp.route("/voicemail/recording", methods=["GET", "POST"])
def voicemail_recording() -> Response:
    """The recording is ready at Twilio (its status callback): keep where to fetch it."""
    sid = _call_sid()
    recording = _sid(param("RecordingSid"), RECORDING_SID)
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


def _sid(value: str, shape: re.Pattern[str] = CALL_SID) -> str:
    """A Twilio id of the given shape, else "-"."""
    return value if shape.fullmatch(value) else UNKNOWN


@bp.route("/whisper/accept", methods=["GET", "POST"])
def whisper_accept() -> Response:
    """The nurse's key in the whisper: 1 puts the caller through."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    keys = keys_pressed()
    return _answer(
        engine.whisper_answered(decoded, keys),
        decoded.state.node,
        f"whisper:{heard_as(keys, '', decoded.state)}",
        journal=False,
    )


@bp.route("/status", methods=["GET", "POST"])
def status() -> Response:
    """Twilio's status callback: the call's end and length, for the log and the journal."""
    status = param("CallStatus")
    status = status if status in CALL_STATUSES else UNKNOWN
    duration = count(param("CallDuration"))
    log.info(
        "call=%s status=%s duration=%ss", _call_sid(), status, "-" if duration is None else duration
    )
    sid = _call_sid()
    if status in ENDED and sid != UNKNOWN:
        found = helpline()
        found.store.call_ended(sid, status, duration)
        found.engine.call_ended(sid)
    return twiml(EMPTY)


@bp.route("/fallback", methods=["GET", "POST"])
def fallback() -> Response:
    """Twilio's Fallback URL: used when our answer failed. Depends on no flow."""
    found = helpline()
    dialled = request.args.get("dialled") == "1"
    status = _dial_status() if dialled else None
    log.warning("call=%s fallback used (dial outcome %s)", _call_sid(), status or "-")
    return twiml(found.fallback.twiml(dt.datetime.now(dt.UTC), status))


def _dial_status() -> str:
    """How the call to a person ended; anything Twilio does not send counts as failed."""
    status = param("DialCallStatus")
    return status if status in DIAL_STATUSES else "failed"


def _safe_answer(error: Exception) -> Response:
    """Whatever went wrong, the caller hears something that helps: the menu, or a person."""
    if isinstance(error, HTTPException) and error.code == 403:
        return Response(
            "Forbidden: bad or missing X-Twilio-Signature\n", 403, mimetype="text/plain"
        )
    log.exception(
        "call=%s error on %s; caller sent to safety",
        _call_sid(),
        request.path,
        exc_info=error if not isinstance(error, HTTPException) else None,
    )
    found = helpline()
    try:
        return _answer(helpline().engine.recover(), "error", "")
    except Exception:  # the engine itself is broken: fall back to what needs no flow
        log.exception("call=%s recovery failed; using the fallback", _call_sid())
        return twiml(found.fallback.twiml(dt.datetime.now(dt.UTC), None))


def init_app(app: Flask) -> None:
    """Register the webhooks; every error under their path still answers TwiML."""
    app.register_blueprint(bp)

    @app.errorhandler(Exception)
    def handle(error: Exception) -> Response:
        if not is_webhook(request.path):
            if isinstance(error, HTTPException):
                return error  # type: ignore[return-value]
            raise error
        if isinstance(error, HTTPException) and error.code != 403:
            # A wrong path or method among the webhooks still needs a signed request.
            try:
                check_signature()
            except HTTPException as refused:
                return _safe_answer(refused)
        return _safe_answer(error)
