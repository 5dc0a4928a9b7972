"""The texts' webhook: Twilio's status callback for each text sent (signed, as every webhook
is), and the practice phone's sight of a text it would have been sent. They join the webhooks'
blueprint (ivr.webhooks.views), signature check and all."""

from __future__ import annotations

import logging

from flask import Response

from ivr.webhooks.helpline import helpline
from ivr.webhooks.messaging import MESSAGE_SID, would_send_header
from ivr.webhooks.views import EMPTY, bp, param, twiml

log = logging.getLogger("ivr.calls")
# Twilio's MessageStatus values; anything else is kept as "unknown".
MESSAGE_STATUSES = frozenset(
    {
        "accepted",
        "scheduled",
        "queued",
        "sending",
        "sent",
        "delivered",
        "undelivered",
        "failed",
        "read",
        "canceled",
    }
)


@bp.route("/text/status", methods=["POST"])
def text_status() -> Response:
    """How a text's delivery went: kept with the text (its kind and call), never the number
    (Twilio sends it as To; it is not read)."""
    sid = param("MessageSid")
    status = param("MessageStatus")
    status = status if status in MESSAGE_STATUSES else "unknown"
    if MESSAGE_SID.fullmatch(sid):
        try:
            helpline().store.text_status(sid, status)
        except Exception:  # Twilio retries nothing here: the status is lost, logged
            log.exception("text %s: its status %s not kept", sid, status)
        log.info("text %s status=%s", sid, status)
    return twiml(EMPTY)


@bp.after_request
def show_practice_text(response: Response) -> Response:
    """On a practice call that asked for a text: the text, for the practice phone to show."""
    header = would_send_header()
    if header is not None:
        response.headers[header[0]] = header[1]
    return response
