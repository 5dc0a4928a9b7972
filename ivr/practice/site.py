"""/phone: the helpline's telephone in a web browser, for editors, trainers and newcomers.

The page (templates/phone.html, static/phone.js) plays what a caller hears and sends what they
press, acting as Twilio does. It never reaches into the engine: every webhook request goes
through `bridge`, which adds Twilio's parameters for a practice caller, signs them with the
auth token and hands them to the helpline's own /voice/ views, so the page gets exactly the
TwiML a real call gets. With JavaScript off, `transcript` runs the same call on the server
with the terminal phone and shows it as a page.

Open in development mode (`ivr serve`); otherwise for signed-in staff only.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from ivr.call.state import LANGUAGE
from ivr.call.texting import PRACTICE_TEXT_HEADER
from ivr.csrf import csrf
from ivr.practice.bridging import TWILIO_NAMES, bridge_params, sid_tag
from ivr.practice.lines import PAGE_LINES, UNCAPTIONED, Line, transcript_line
from ivr.practice.outcomes import DIAL_OUTCOMES, LABELS
from ivr.practice.phone import (
    DEFAULT_CALLED,
    DEFAULT_CALLER,
    Phone,
    parse_keys,
    signed_request,
)
from ivr.practice.queueing import QUEUE_TURN
from ivr.practice.recording import stand_in_clip
from ivr.webhooks.helpline import Helpline, helpline
from ivr.webhooks.views import is_webhook

bp = Blueprint(
    "phone_site",
    __name__,
    url_prefix="/phone",
    template_folder="templates",
    static_folder="static",
)

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_CODE = re.compile(r"[0-9]{1,3}")
_RECORDING = re.compile(r"RE[0-9a-f]{32}(\.wav)?")
_MAX_SCRIPT = 200  # tokens in a shared call: plenty for any real path, and bounded
MAX_PLACE = 9  # the furthest back a tester may join a queue


@dataclass(frozen=True)
class PhonePage:
    """What the page shows that never changes while the app runs, worked out from it."""

    entry_points: list[tuple[str, str]]  # (code, title) of every part a call can start at
    names: dict[str, str]  # who each number a transfer rings belongs to ("the nurse line")
    public_host: str | None  # PUBLIC_BASE_URL's host name, where one is set
    security_policy: str  # the page may load its own script, styles and audio, nothing else


def _setup(found: Helpline) -> PhonePage:
    settings = found.settings
    names = {s.number: s.name for s in found.content.services.values() if s.number}
    if settings.nurse_line_number:
        names[settings.nurse_line_number] = "the nurse line"
    # blob: plays back a message recorded in the page itself, which never leaves it.
    media = "'self' blob:" + (
        f" {_origin(settings.audio_base_url)}" if settings.audio_base_url else ""
    )
    return PhonePage(
        entry_points=[(code, node.title) for code, node in sorted(found.engine.by_code.items())],
        names=names,
        public_host=urlsplit(settings.public_base_url).hostname
        if settings.public_base_url
        else None,
        security_policy=(
            f"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            f"media-src {media}; img-src data:; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'"
        ),
    )


def _phone_page() -> PhonePage:
    return _setup(helpline())


def _open_here() -> bool:
    """A development server is open to a browser on this machine (the connection comes from a
    loopback address, whatever any header says) that names it by its own name: loopback or
    its public address (a tunnel's agent connects from loopback too). Anyone else (another
    machine on the network, or a DNS-rebinding page pretending to be this server) needs a
    signed-in member of staff, as in production."""
    if not helpline().settings.development:
        return False
    # What the connection itself said, before any trusted proxy's headers rewrote it.
    said = request.environ.get("werkzeug.proxy_fix.orig") or request.environ
    try:
        peer = ipaddress.ip_address(said.get("REMOTE_ADDR") or "")
    except ValueError:
        return False
    host = urlsplit("//" + (said.get("HTTP_HOST") or "")).hostname or ""
    return peer.is_loopback and (host in LOOPBACK or host == _phone_page().public_host)


@bp.before_request
def staff_or_development() -> ResponseReturnValue | None:
    """Anyone may practise on a development server; elsewhere only signed-in staff."""
    if _open_here() or session.get("staff"):
        if request.method == "POST":
            csrf.protect()  # after the sign-in check, so a lapsed session hears why (401)
        return None
    if request.method == "POST":
        return jsonify(error="Sign in to the staff site to use the phone."), 401
    return redirect(url_for("staff.sign_in", next=request.full_path.rstrip("?")))


@bp.errorhandler(400)
def refused(error: HTTPException) -> ResponseReturnValue:
    """The page's requests are JSON, and so are their refusals: it shows `error` in the call."""
    if request.is_json or request.endpoint == "phone_site.sid":
        return jsonify(error=error.description), 400
    return error


@bp.after_request
def private(response: Response) -> Response:
    """Never cached; and the page may load its own script, styles and audio, nothing else."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = _phone_page().security_policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class CallOptions(NamedTuple):
    """What a tester chose for a call (a shared link, or the form)."""

    start: str  # an entry code, or "" for the beginning
    keys: str  # the keys to press for them
    dial: str  # what a person rung does
    place: int  # their place on joining a queue
    language: str = ""  # the language the call starts in ("" for the first), as ?l= names it


def _call_options() -> CallOptions:
    """The call options asked for, each one that is not understood left at its default."""
    values = request.values
    start = values.get("start", "").strip()
    if start and not _CODE.fullmatch(start):
        start = ""
    dial = values.get("dial", "answered")
    if dial not in LABELS:
        dial = "answered"
    place = values.get("place", "1")
    places = range(1, MAX_PLACE + 1)
    chosen = int(place) if place.isdigit() and int(place) in places else 1
    language = helpline().content.languages.in_state(values.get("language", "").strip())
    return CallOptions(start, values.get("keys", "").strip()[:1000], dial, chosen, language)


def _languages_offered() -> list[tuple[str, str]]:
    """The languages a practice call may start in, where the line offers several: ("" for the
    first, its code for another) and its name, in itself and in the first language."""
    languages = helpline().content.languages
    if len(languages.words) < 2:
        return []
    named = []
    for code in languages.order():
        own, first = languages.name_of(code, code), languages.name_of(code)
        label = own if own == first else f"{own} ({first})"
        named.append((languages.in_state(code), label))
    return named


def _page(options: CallOptions, lines: list[Line]) -> str:
    setup = _phone_page()
    return render_template(
        "practice/phone.html",
        entry_points=setup.entry_points,
        outcomes=LABELS,
        options=options,
        places=range(1, MAX_PLACE + 1),
        languages=_languages_offered(),
        lines=lines,
        config={
            "bridge": url_for("phone_site.bridge"),
            "sid": url_for("phone_site.sid"),
            "lines": PAGE_LINES,  # the script writes its transcript with the server's lines
            "uncaptioned": UNCAPTIONED,
            "names": setup.names,
            "dialStatus": DIAL_OUTCOMES,  # the DialCallStatus Twilio reports for each outcome
            # The webhooks a call starts at (by entry code) and ends at, as Twilio is told them.
            "incoming": url_for("voice.incoming"),
            "entries": {code: url_for("voice.entry", code=code) for code, _ in setup.entry_points},
            "status": url_for("voice.status"),
            "queueTurn": QUEUE_TURN,  # a caller ahead is answered each simulated minute
        },
    )


@bp.get("")
def page() -> ResponseReturnValue:
    """The phone: keypad, call button, and the transcript of the call."""
    return _page(_call_options(), [])


def _public_base() -> str:
    """The address Twilio would call this helpline at: what the webhooks check signatures on."""
    return helpline().settings.public_base_url or request.host_url.rstrip("/")


def _target(url: str) -> str:
    """The path and query of a webhook URL on this helpline; anything else is refused."""
    parts = urlsplit(url)
    own = {"", request.host, urlsplit(_public_base()).netloc}
    if parts.netloc not in own or not is_webhook(parts.path) or ".." in parts.path:
        abort(400, "The phone only calls this helpline's /voice/ webhooks.")
    # A GET carries Twilio's parameters in the query string, where the first of a name wins:
    # one already in the URL would stand in for the bridge's own (the caller's number, say).
    clashes = sorted(set(parse_qs(parts.query, keep_blank_values=True)) & TWILIO_NAMES)
    if clashes:
        abort(400, f"The URL may not set Twilio's parameters: {', '.join(clashes)}.")
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.post("/sid")
def sid() -> ResponseReturnValue:
    """A new CallSid for the practice phone, in Twilio's form, carrying a tag only we can make."""
    random_part = secrets.token_hex(8)
    tag = sid_tag(helpline().settings.secret_key, random_part)
    return jsonify(sid=f"CA{random_part}{tag}")


def _captions(twiml: str, found: Helpline) -> dict[str, str]:
    """The written words of each recording a document plays, for the page's captions."""
    if found.audio is None or "<Play" not in twiml:
        return {}
    try:
        root = ET.fromstring(twiml)
    except ET.ParseError:
        return {}
    captions = {}
    for played in root.iter("Play"):
        url = (played.text or "").strip()
        caption = found.audio.caption(url)
        if caption:
            captions[url] = caption
    return captions


@bp.post("/bridge")
def bridge() -> ResponseReturnValue:
    """Make one webhook request as Twilio would, signed, and answer what the helpline said."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "Send JSON: url, method, callSid, inputs.")
    method = str(body.get("method", "POST")).upper()
    if method not in ("GET", "POST"):
        abort(400, "method must be GET or POST.")
    target = _target(str(body.get("url", "")))
    found = helpline()
    secret = found.settings.secret_key
    params = bridge_params(secret, body, DEFAULT_CALLER, DEFAULT_CALLED, _public_base())
    requested = _public_base() + target
    url, form, headers = signed_request(found.settings.twilio_auth_token, method, requested, params)
    client = current_app.test_client()  # a WSGI client: the helpline's own views, in-process
    response = client.open(url, method=method, data=form, headers=headers)
    twiml = response.get_data(as_text=True)
    answer = {
        "status": response.status_code,
        "contentType": response.content_type or "",
        "url": requested,  # as requested, before a GET's parameters
        "twiml": twiml,
        "captions": _captions(twiml, found),
        # What a practice call would have been texted (it never is), for the transcript.
        "wouldSend": unquote(response.headers.get(PRACTICE_TEXT_HEADER, "")),
    }
    response.close()
    return jsonify(answer)


@bp.post("/transcript")
def transcript() -> ResponseReturnValue:
    """A whole call run on the server from a key script: the phone with JavaScript off."""
    found = helpline()
    options = _call_options()
    start = options.start
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    phone = Phone(
        app,
        found.settings.twilio_auth_token,
        dial_outcome=options.dial,
        queue_place=options.place,
        captions=found.audio.caption if found.audio else None,
        base_url=_public_base(),
    )
    path = url_for("voice.entry", code=start) if start else url_for("voice.incoming")
    if options.language:
        path += f"?{LANGUAGE}={options.language}"
    call = phone.call(parse_keys(options.keys)[:_MAX_SCRIPT], path=path)
    names = _phone_page().names
    shown = [
        line
        for entry in call.events
        if (line := transcript_line(entry, page=True, names=names)) is not None
    ]
    return _page(options, shown)


@bp.get("/stand-in-recording/<sid>")
def stand_in_recording(sid: str) -> ResponseReturnValue:
    """The clip every practice recording points at (with or without ".wav", as on Twilio):
    practice messages are never kept on the server."""
    if not _RECORDING.fullmatch(sid):
        abort(404)
    return Response(stand_in_clip(), mimetype="audio/wav")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    csrf.exempt(bp)  # checked in staff_or_development instead, after sign-in
