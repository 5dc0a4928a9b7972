"""The staff API under /staff/api/: callback requests, and moving a live call to a part.

Every request needs `Authorization: Bearer <token>`, a token made with `ivr staff token NAME`.
Answers hold callers' numbers, so nothing is cached on the way. Every answer is JSON, errors too.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint, Flask, Response, json, jsonify, request, url_for
from twilio.base.exceptions import TwilioException
from twilio.rest import Client
from werkzeug.http import HTTP_STATUS_CODES

from ivr.store import CallbackRequest, StoreUnavailable
from ivr.webhooks.helpline import helpline

log = logging.getLogger("ivr.staff")
CALL_SID = re.compile(r"^CA[0-9a-f]{32}$")
bp = Blueprint("staff_api", __name__, url_prefix="/staff/api")
# Row ids are INTEGER columns (32 bits on PostgreSQL): a larger id names no row, so routes
# refuse it (404) rather than let the database fail on it.
MAX_ID = 2**31 - 1


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def callback_json(callback: CallbackRequest) -> dict[str, Any]:
    """A request as the API shows it; times in ISO 8601, UTC; practice ones are not to be rung."""
    return {
        "id": callback.id,
        "number": callback.number,
        "created_at": callback.created_at.isoformat(),
        "listening_to": callback.listening_to,
        "reasons": callback.reasons,
        "call_sid": callback.call_sid,
        "practice": callback.practice,
        # The caller's language (en-GB, cy-GB), so a nurse who speaks it calls back; None:
        # booked before languages were kept.
        "language": callback.language,
    }


@bp.before_request
def check_token() -> Response | None:
    """Only a staff token gets through; anything else is a 401 that says what is wanted."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip() and helpline().store.check_token(token.strip()):
        return None
    response = _error(401, "a staff token is needed: Authorization: Bearer <token>")
    response.headers["WWW-Authenticate"] = 'Bearer realm="staff"'
    return response


@bp.after_request
def no_caching(response: Response) -> Response:
    """Answers hold callers' numbers: nothing may keep them."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(StoreUnavailable)
def unavailable(error: StoreUnavailable) -> Response:
    """The database is not answering: a 503 to try again, not a 500 nor a 401."""
    log.warning("staff API: %s", error)
    response = _error(503, "the database is not answering; try again in a minute")
    response.headers["Retry-After"] = "60"
    return response


@bp.get("/callbacks")
def callbacks() -> Response:
    """Open callback requests, oldest first."""
    return jsonify([callback_json(c) for c in helpline().store.open_callbacks()])


@bp.post(f"/callbacks/<int(max={MAX_ID}):callback_id>/done")
def done(callback_id: int) -> Response:
    """Mark a request done: its number is deleted."""
    if not helpline().store.mark_done(callback_id):
        return _error(404, f"no open callback request {callback_id}")
    return jsonify({"id": callback_id, "done": True})


@bp.post("/calls/<call_sid>/redirect")
def redirect_call(call_sid: str) -> Response:
    """Move a live call to a part of the guidance by its entry code (Twilio's REST API)."""
    found = helpline()
    settings = found.settings
    body = request.get_json(silent=True) or request.form
    code = str(body.get("code", "")).strip()
    if code not in found.engine.by_code:
        return _error(400, f"no part has the entry code {code!r}: see `ivr codes`")
    if not CALL_SID.match(call_sid):
        return _error(400, "a CallSid is CA followed by 32 hexadecimal digits")
    if not settings.twilio_account_sid or not settings.twilio_auth_token:
        return _error(503, "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed to move calls")
    base = settings.public_base_url or request.host_url.rstrip("/")
    url = base + url_for("voice.entry", code=code)
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url  # a stand-in for Twilio, in tests
    try:
        client.calls(call_sid).update(url=url, method="POST")
    except TwilioException as error:
        log.warning("staff API: moving call %s failed: %s", call_sid, error)
        return _error(502, f"Twilio did not move the call: {error}")
    log.info("staff API: call %s moved to entry code %s", call_sid, code)
    return jsonify({"call_sid": call_sid, "code": code, "url": url})


def json_errors(response: Response) -> Response:
    """Every error under /staff/api/ is JSON, those found before the blueprint is known too (no
    such path, a method the path does not take), which the blueprint's handlers never see."""
    if response.status_code < 400 or response.is_json or not request.path.startswith("/staff/api/"):
        return response
    message = HTTP_STATUS_CODES.get(response.status_code, "error").lower()
    if response.status_code == 405:
        message += f": use {', '.join(sorted(response.allow)) or 'another method'}"
    response.set_data(json.dumps({"error": message}))
    response.mimetype = "application/json"
    return response


def init_app(app: Flask) -> None:
    """Register the staff API, and JSON for every error under it."""
    # On the app: a path under /staff/api/ that no route takes is no request of the blueprint.
    app.after_request(json_errors)
    app.register_blueprint(bp)
