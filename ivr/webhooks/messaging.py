"""Sending callers the texts they ask for, through Twilio's Messaging API (the twilio client,
pointed at TWILIO_API_BASE_URL where a stand-in is named), with a signed status callback.

The number is Twilio's `From` of the signed request being answered, checked against the
call's own (its keyed hash in the journal); it is used to send and never kept, logged or put
in a URL. A practice call never sends: the text it would send goes back to the practice phone
in a header of the answer (PRACTICE_TEXT_HEADER). A failure is logged (never the number) and
said to the caller; the call goes on.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from flask import Flask, request, url_for

from ivr.call.steps import Caller
from ivr.call.texting import PRACTICE_TEXT_HEADER
from ivr.content.load import Content
from ivr.numbers import TextsFrom, is_uk_mobile, uk_number
from ivr.store import Store
from ivr.store.connection import StoreUnavailable
from ivr.webhooks.helpline import helpline

if TYPE_CHECKING:
    from twilio.rest import Client

log = logging.getLogger("ivr.calls")
_WOULD_SEND = "ivr.would_send"
# Seconds to wait for Twilio to take a text, while the caller waits for the next words.
SEND_TIMEOUT = 5
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")


@dataclass(frozen=True)
class TwilioMessaging:
    """The account texts are sent from, and how (a Messaging Service, or a number)."""

    account_sid: str
    auth_token: str
    texts_from: TextsFrom
    api_base_url: str | None = None


class Messenger:
    """The helpline's TextSender (ivr.call.texting): the text in the caller's language, sent
    once a call for each kind and a few a day to a number (the store keeps count)."""

    def __init__(
        self,
        content: Content,
        store: Store,
        twilio: TwilioMessaging | None,
        status_path: str,
        public_base_url: str | None,
    ) -> None:
        self.content = content
        self.store = store
        self.twilio = twilio
        self.status_path = status_path
        self.public_base_url = public_base_url

    def can_send(self, practice: bool) -> bool:
        """Practice calls show what they would send; real ones need an account to send from."""
        return practice or self.twilio is not None

    def body(self, kind: str, language: str) -> str | None:
        """The text of a kind in the language (the first where the language has none)."""
        books = self.content.texts
        book = books.get(language or self.content.languages.first)
        first = books.get(self.content.languages.first)
        found = book.texts.get(kind) if book else None
        found = found or (first.texts.get(kind) if first else None)
        return found.body if found else None

    def send_text(self, caller: Caller, kind: str, language: str) -> bool:
        """Send it (or show it, on a practice call); False, logged, on any failure."""
        body = self.body(kind, language)
        if body is None:
            log.warning("call=%s text %s: no such text", caller.sid, kind)
            return False
        if caller.practice:
            request.environ[_WOULD_SEND] = body
            log.info("call=%s text %s: practice call, not sent", caller.sid, kind)
            return True
        number = uk_number(caller.number)
        if self.twilio is None or number is None or not is_uk_mobile(number):
            return False
        try:
            text_id = self.store.reserve_text(caller.sid, number, kind)
        except StoreUnavailable as error:
            log.warning("call=%s text %s not sent: %s", caller.sid, kind, error)
            return False
        if text_id is None:
            log.info("call=%s text %s refused: sent already, or the day's limit", caller.sid, kind)
            return False
        try:
            return self._send(caller.sid, kind, number, body, text_id)
        except Exception as error:  # whatever went wrong, the caller hears so and goes on
            log.warning("call=%s text %s not sent: %s", caller.sid, kind, type(error).__name__)
            return False

    def _send(self, call_sid: str, kind: str, number: str, body: str, text_id: int) -> bool:
        from twilio.base.exceptions import TwilioException

        assert self.twilio is not None
        sender = self.twilio.texts_from
        extra = (
            {"messaging_service_sid": sender.messaging_service_sid}
            if sender.messaging_service_sid
            else {"from_": sender.number}
        )
        base = self.public_base_url or request.url_root.rstrip("/")
        try:
            message = self._client().messages.create(
                to=number, body=body, status_callback=base + self.status_path, **extra
            )
        except (TwilioException, OSError) as error:
            log.warning("call=%s text %s not sent: %s", call_sid, kind, type(error).__name__)
            self._note(text_id, None, "failed")
            return False
        sid = message.sid if MESSAGE_SID.fullmatch(message.sid or "") else None
        self._note(text_id, sid, str(message.status or "queued"))
        log.info("call=%s text %s sent (%s)", call_sid, kind, sid or "-")
        return True

    def _note(self, text_id: int, message_sid: str | None, status: str) -> None:
        try:
            self.store.text_sent(text_id, message_sid, status)
        except StoreUnavailable as error:  # the text went (or not): the caller is told so
            log.warning("text %d: its outcome not kept (%s)", text_id, error)

    def _client(self) -> Client:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        assert self.twilio is not None
        client = Client(
            self.twilio.account_sid,
            self.twilio.auth_token,
            http_client=TwilioHttpClient(timeout=SEND_TIMEOUT),
        )
        if self.twilio.api_base_url:
            client.api.base_url = self.twilio.api_base_url  # a stand-in for Twilio, in tests
        return client


def would_send_header() -> tuple[str, str] | None:
    """The header that shows a practice phone the text it would have been sent, if any."""
    body = request.environ.get(_WOULD_SEND)
    return (PRACTICE_TEXT_HEADER, quote(body)) if body else None


def connect_follow_ups(app: Flask) -> None:
    """Give the app's engine its sender of texts and the keeper of whether calls helped (once,
    in the app factory). Texts go out only with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and
    TWILIO_MESSAGING_SERVICE_SID or SMS_FROM; practice calls show them all the same."""
    found = helpline(app)
    settings = found.settings
    twilio = None
    if settings.texts_from and settings.twilio_account_sid and settings.twilio_auth_token:
        twilio = TwilioMessaging(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.texts_from,
            settings.twilio_api_base_url,
        )
    with app.test_request_context():
        path = url_for("voice.text_status")
    messenger = Messenger(found.content, found.store, twilio, path, settings.public_base_url)
    found.engine.follow_up.connect(messenger, found.store)
