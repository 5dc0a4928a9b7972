"""A local stand-in of Twilio's Messages API (as tests/test_entry.py and
tests/test_voicemail_store.py stand in for its Calls and Recordings APIs): it checks the account's
credentials, keeps each message it is sent, answers as Twilio does, and fails when told to."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from werkzeug.wrappers import Request, Response

from tests.conftest import served_wsgi

ACCOUNT = "AC" + "b" * 32
MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")


@dataclass
class MessagesStandIn:
    """Twilio's Messages API on loopback: `sent` holds each message's form, in order."""

    auth_token: str
    base_url: str = ""
    sent: list[dict[str, str]] = field(default_factory=list)
    failing: bool = False

    def __call__(self, request: Request) -> Response:
        given = base64.b64decode(request.headers.get("Authorization", "Basic ")[6:]).decode()
        found = MESSAGES.match(request.path)
        if given != f"{ACCOUNT}:{self.auth_token}":
            return _error(401)
        if request.method != "POST" or not found or found.group(1) != ACCOUNT:
            return _error(404)
        if self.failing:
            return _error(500)
        form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        self.sent.append(form)
        sid = f"SM{len(self.sent):032x}"
        message = {
            "sid": sid,
            "account_sid": ACCOUNT,
            "to": form.get("To"),
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body"),
            "status": "queued",
            "num_segments": "1",
        }
        return Response(json.dumps(message), status=201, content_type="application/json")


def _error(status: int) -> Response:
    body = {"code": 20000 + status, "message": f"stand-in error {status}", "status": status}
    return Response(json.dumps(body), status=status, content_type="application/json")


@contextmanager
def messages_api(auth_token: str) -> Iterator[MessagesStandIn]:
    """The stand-in, served on loopback for as long as the block runs."""
    stand_in = MessagesStandIn(auth_token)
    with served_wsgi(Request.application(stand_in)) as base:
        stand_in.base_url = base
        yield stand_in
