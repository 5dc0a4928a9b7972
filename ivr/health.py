"""GET /health: whether the helpline and its database answer, and what the journal has lost.

For a load balancer or an uptime check, and for staff: no sign-in, and nothing about any call
or caller, only counts. The journal's counts are this worker's since it started; what was lost
in all workers is kept in the database (journal_losses) and shown on the staff dashboard.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify

from ivr.webhooks.helpline import helpline

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> Response:
    """200 when the database answers, else 503; always the journal's counts."""
    store = helpline().store
    answering = store.answering()
    journal = store.journal_stats()
    response = jsonify(
        status="ok" if answering else "database not answering",
        database="answering" if answering else "not answering",
        journal=journal,
    )
    response.status_code = 200 if answering else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Register GET /health."""
    app.register_blueprint(bp)
