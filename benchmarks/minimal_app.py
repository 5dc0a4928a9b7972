"""The baseline for benchmarks/webhooks.py: the least a Flask app can do to answer Twilio.

It answers every POST under /voice/ with one fixed TwiML document (a menu of about the size
the helpline sends), checks no signature, reads no form and keeps no state. Whatever the
helpline costs beyond this is the price of its own work.

Serve it as the Procfile serves the helpline, from the project folder:

    gunicorn --bind 127.0.0.1:8000 --workers 2 --threads 4 'benchmarks.minimal_app:create_app()'
"""

from __future__ import annotations

from flask import Flask, Response

FIXED_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="/voice/step?n=main" finishOnKey="" hints="nurse, repeat, back" '
    'input="dtmf speech" language="en-GB" method="POST" numDigits="1" speechTimeout="auto" '
    'timeout="8"><Say language="en-GB" voice="Polly.Amy">To hear what a second opinion is, '
    "and how to get one, press 1. For why people ask for one, and the pros and cons, press 2. "
    "To get ready for one, press 3. If it's hard to get a referral, press 4.</Say></Gather>"
    '<Redirect method="POST">/voice/step?n=main</Redirect></Response>'
)


def create_app() -> Flask:
    """A Flask app answering FIXED_TWIML (text/xml) to a POST at any path under /voice/."""
    app = Flask(__name__)

    @app.post("/voice/<path:anything>")
    def answer(anything: str) -> Response:
        """The same answer whatever was asked."""
        return Response(FIXED_TWIML, status=200, mimetype="text/xml")

    return app
