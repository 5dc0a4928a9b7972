"""A pretend telephone that calls a helpline's webhooks exactly as Twilio would.

Nobody needs a Twilio account to hear the helpline: `Phone` posts Twilio's form parameters
(signed, given the auth token) to the helpline's URLs, follows the TwiML it answers with, and
records what the caller would hear in a `Transcript`. It talks to a Flask app in-process or to
a running server over HTTP. The work is shared out: `driver` signs and sends the requests,
`twiml_reader` follows the answers, `transcript` keeps the call, `lines` writes it out, and
`terminal` is `ivr call`'s front end; `dialling`, `queueing` and `recording` play <Dial>,
<Enqueue> and <Record>.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Callable, Iterator, Sequence

from flask import Flask

from ivr.numbers import PRACTICE_CALLER
from ivr.practice.driver import answering_params, signed_request, twilio_params
from ivr.practice.outcomes import DIAL_OUTCOMES
from ivr.practice.terminal import remote_captions, typed_input
from ivr.practice.transcript import Transcript, TranscriptEntry, WebhookRequest
from ivr.practice.twiml_reader import TwimlReader

__all__ = [
    "DEFAULT_CALLED",
    "DEFAULT_CALLER",
    "DIAL_OUTCOMES",
    "Phone",
    "Transcript",
    "TranscriptEntry",
    "WebhookRequest",
    "answering_params",
    "parse_keys",
    "remote_captions",
    "signed_request",
    "twilio_params",
]

DEFAULT_CALLER = PRACTICE_CALLER
DEFAULT_CALLED = "+441632960000"


def parse_keys(text: str) -> list[str]:
    """Split a script such as `2 1 . "talk to a nurse" 0` into input tokens (an unclosed
    quote cannot be split as shell words: then the words are taken as they are)."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


class Phone:
    """Calls a helpline (a Flask app, or the base URL of a running server) as Twilio would."""

    def __init__(
        self,
        target: Flask | str,
        auth_token: str | None = None,
        caller: str = DEFAULT_CALLER,
        dial_outcome: str | Sequence[str] = "answered",
        printer: Callable[[str], None] | None = None,
        *,
        called: str = DEFAULT_CALLED,
        show_requests: bool = False,
        status_path: str | None = "/voice/status",
        max_requests: int = 500,
        max_redirects: int = 20,
        max_wait_turns: int = 200,
        queue_place: int = 1,
        http_timeout: float = 15.0,
        captions: Callable[[str], str | None] | None = None,
        on_event: Callable[[TranscriptEntry], None] | None = None,
        base_url: str | None = None,
    ) -> None:
        self.app = target if isinstance(target, Flask) else None
        # In-process, `base_url` is the address the app believes it has (what Twilio signs).
        default = "http://localhost" if self.app else str(target)
        self.base_url = (base_url or default).rstrip("/")
        self.auth_token = auth_token
        self.caller, self.called = caller, called
        outcomes = [dial_outcome] if isinstance(dial_outcome, str) else list(dial_outcome)
        bad = [o for o in outcomes if o not in DIAL_OUTCOMES]
        if bad or not outcomes:
            raise ValueError(f"dial outcomes must be some of {sorted(DIAL_OUTCOMES)}: {bad}")
        self.dial_outcomes = outcomes
        self.printer = printer
        self.show_requests = show_requests
        self.status_path = status_path
        self.max_requests, self.max_redirects = max_requests, max_redirects
        # A wait document asked for this many times in one queue is a wait that never ends.
        self.max_wait_turns = max_wait_turns
        if queue_place < 1:
            raise ValueError("queue_place is the caller's place on joining a queue: 1 or more")
        self.queue_place = queue_place
        self.http_timeout = http_timeout
        # The written words of a <Play> URL, where known (the helpline's own rendered prompts).
        self.captions = captions
        self.on_event = on_event
        self.account_sid = "AC" + secrets.token_hex(16)

    def call(
        self,
        script: Sequence[str] | str | None = None,
        *,
        input_fn: Callable[[str], str] | None = None,
        path: str = "/voice/incoming",
    ) -> Transcript:
        """Ring the helpline at `path`, answering each Gather from `script` or `input_fn`.

        A script is a list of tokens (or one string for `parse_keys`): keys like "1" or "#",
        "." or "" for silence, ".11m" or ".90s" for silence that long (of simulated time),
        anything else is speech (or, at a <Record>, the message); when it runs out the caller
        hangs up.
        `input_fn(prompt)` is asked instead, interactively: EOF or "q" hangs up.
        """
        if script is not None and input_fn is not None:
            raise TypeError("give a script or an input_fn, not both")
        if input_fn is not None:
            next_input = typed_input(input_fn)
        else:
            # A str is a Sequence[str] of characters: split it as words instead.
            tokens = parse_keys(script) if isinstance(script, str) else list(script or [])
            it: Iterator[str] = iter(tokens)
            next_input = lambda: next(it, None)  # noqa: E731
        return TwimlReader(self, next_input).run(self.base_url + path)
