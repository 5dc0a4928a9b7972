"""The staff API under /staff/api/: open callback requests as JSON, and marking one done.

Every request needs `Authorization: Bearer <token>`, a token made with `ivr staff token NAME`.
Answers hold callers' numbers, so nothing is cached on the way.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from ivr.store import CallbackRequest, Store, StoreUnavailable

log = logging.getLogger("ivr.staff")
bp = Blueprint("staff_api", __name__, url_prefix="/staff/api")


def _store() -> Store:
    found: Store = current_app.extensions["ivr_store"]
    return found


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def callback_json(callback: CallbackRequest) -> dict[str, Any]:
    """A request as the API shows it; times in ISO 8601, UTC."""
    return {
        "id": callback.id,
        "number": callback.number,
        "created_at": callback.created_at.isoformat(),
        "listening_to": callback.listening_to,
        "reasons": callback.reasons,
        "call_sid": callback.call_sid,
    }


@bp.before_request
def check_token() -> Response | None:
    """Only a staff token gets through; anything else is a 401 that says what is wanted."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip() and _store().check_token(token.strip()):
        return None
    response = _error(401, "a staff token is needed: Authorization: Bearer <token>")
    response.headers["WWW-Authenticate"] = 'Bearer realm="staff"'
    return response


@bp.after_request
def no_caching(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(StoreUnavailable)
def unavailable(error: StoreUnavailable) -> Response:
    log.warning("staff API: %s", error)
    response = _error(503, "the database is not answering; try again in a minute")
    response.headers["Retry-After"] = "60"
    return response


@bp.get("/callbacks")
def callbacks() -> Response:
    """Open callback requests, oldest first."""
    return jsonify([callback_json(c) for c in _store().open_callbacks()])


@bp.post("/callbacks/<int:callback_id>/done")
def done(callback_id: int) -> Response:
    """Mark a request done: its number is deleted."""
    if not _store().mark_done(callback_id):
        return _error(404, f"no open callback request {callback_id}")
    return jsonify({"id": callback_id, "done": True})


def init_app(app: Flask, store: Store) -> None:
    """Register the staff API; the store is kept in app.extensions["ivr_store"]."""
    app.extensions["ivr_store"] = store
    app.register_blueprint(bp)
