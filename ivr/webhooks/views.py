"""Twilio's webhooks: check the signature, ask the engine, answer TwiML. Nothing else."""

from __future__ import annotations

import datetime as dt
import logging
import re
from urllib.parse import quote

from flask import Blueprint, Flask, Request, Response, abort, request, url_for
from werkzeug.exceptions import HTTPException

from ivr.call.state import LANGUAGE, NODE, CallState
from ivr.call.steps import Caller, Step
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


def call_sid() -> str:
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
        log.warning("call=%s refused: bad or missing signature on %s", call_sid(), current.path)
        abort(403)
    return None


def answer(step: Step, came_from: str, heard: str, journal: bool = True) -> Response:
    target = step.state.node
    kind = type(step).__name__.lower()
    sid = call_sid()
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


def current_caller() -> Caller:
    """Who is calling: needed to offer a call back on their own number, never kept in state."""
    return Caller(call_sid(), param("From") or None)


@bp.route("/incoming", methods=["GET", "POST"])
def incoming() -> Response:
    """A new call, in the language of the number called: the welcome inside the main menu."""
    language = _language_called()
    _journal_start(language)
    return answer(helpline().engine.start(language), "new-call", "")


def _language_called() -> str:
    """The language calls to this number start in (LANGUAGE_BY_NUMBER, by Twilio's To); or,
    from the practice phones and `ivr call`, the one the webhook's own URL names (?l=cy-GB).
    The first language's code is "" (and so is one the line does not offer)."""
    found = helpline()
    wanted = found.settings.language_by_number.get(param("To").strip()) or request.args.get(
        LANGUAGE, ""
    )
    return found.content.languages.in_state(wanted)


def _journal_start(language: str) -> None:
    sid = call_sid()
    if sid != UNKNOWN:
        code = helpline().content.languages[language].code
        helpline().store.call_started(sid, param("From") or None, code)


@bp.route("/step", methods=["GET", "POST"])
def step() -> Response:
    """The caller pressed a key, spoke, or was silent (the Redirect after a Gather)."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    keys = keys_pressed()
    speech = param("SpeechResult").strip()[:MAX_SPEECH]
    heard = heard_as(keys, speech, decoded.state)
    step = engine.respond(decoded, keys, speech, current_caller())
    if step.state.language != decoded.state.language and call_sid() != UNKNOWN:
        chosen = helpline().content.languages[step.state.language].code
        helpline().store.call_language(call_sid(), chosen)
    return answer(step, decoded.state.node, heard)


@bp.route("/entry/<code>", methods=["GET", "POST"])
def entry(code: str) -> Response:
    """Straight to a part of the guidance: for systems that can set a URL when they transfer."""
    code = code[:3] if KEYS.fullmatch(code[:3]) else NOT_A_KEY
    language = _language_called()
    _journal_start(language)
    return answer(helpline().engine.enter(code, language=language), f"entry:{code}", "")


@bp.route("/dial", methods=["GET", "POST"])
def dial() -> Response:
    """The call to a person ended; DialCallStatus says how."""
    engine = helpline().engine
    decoded = engine.read_state(inbound().query)
    status = _dial_status()
    # DialBridged says whether the two calls were joined: not when nobody pressed 1 in the whisper.
    bridged = param("DialBridged", "true") != "false"
    outcome = status if bridged or status != "completed" else "declined"
    sid = call_sid()
    if sid != UNKNOWN:
        helpline().store.transfer_ended(sid, decoded.state.node, outcome)
    step = engine.dial_ended(decoded, status, bridged, current_caller())
    return answer(step, decoded.state.node, f"dial:{outcome}")


def twilio_id(value: str, shape: re.Pattern[str] = CALL_SID) -> str:
    """A Twilio id of the given shape, else "-"."""
    return value if shape.fullmatch(value) else UNKNOWN


@bp.route("/status", methods=["GET", "POST"])
def status() -> Response:
    """Twilio's status callback: the call's end and length, for the log and the journal."""
    status = param("CallStatus")
    status = status if status in CALL_STATUSES else UNKNOWN
    duration = count(param("CallDuration"))
    log.info(
        "call=%s status=%s duration=%ss", call_sid(), status, "-" if duration is None else duration
    )
    sid = call_sid()
    if status in ENDED and sid != UNKNOWN:
        found = helpline()
        found.store.call_ended(sid, status, duration)
        found.engine.nurse_line.call_ended(sid)
    return twiml(EMPTY)


@bp.route("/fallback", methods=["GET", "POST"])
def fallback() -> Response:
    """Twilio's Fallback URL: used when our answer failed. Depends on no flow."""
    found = helpline()
    dialled = request.args.get("dialled") == "1"
    status = _dial_status() if dialled else None
    log.warning("call=%s fallback used (dial outcome %s)", call_sid(), status or "-")
    return twiml(found.fallback.in_(_fallback_language()).twiml(dt.datetime.now(dt.UTC), status))


def _fallback_language() -> str:
    """The caller's language: the call's own, where the failed URL carries its state; else
    the number called's; else the first (the Fallback must answer even when the settings or
    content are half broken)."""
    try:
        if NODE in request.args:
            return helpline().content.languages.in_state(request.args.get(LANGUAGE, ""))
        return _language_called()
    except Exception:
        log.exception("call=%s no language for the fallback; the first", call_sid())
        return ""


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
        call_sid(),
        request.path,
        exc_info=error if not isinstance(error, HTTPException) else None,
    )
    found = helpline()
    language = _fallback_language()
    try:
        return answer(helpline().engine.recover(language), "error", "")
    except Exception:  # the engine itself is broken: fall back to what needs no flow
        log.exception("call=%s recovery failed; using the fallback", call_sid())
        return twiml(found.fallback.in_(language).twiml(dt.datetime.now(dt.UTC), None))


def init_app(app: Flask) -> None:
    """Register the webhooks; every error under their path still answers TwiML."""
    from ivr.webhooks import nurse_views, text_views  # noqa: F401 (their routes join this blueprint)

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
