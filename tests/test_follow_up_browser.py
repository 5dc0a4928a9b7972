"""Texts in a real Chromium: the practice phone shows the text a practice call would be sent,
and sends none. (The dashboard's chart of whether calls helped is checked with axe-core in
tests/test_staff_browser.py, whose calls are asked it after PASS.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from ivr import create_app
from tests.conftest import ENV, no_violations, served
from tests.twilio_messages import ACCOUNT, MessagesStandIn, messages_api


@pytest.fixture(scope="module")
def twilio() -> Iterator[MessagesStandIn]:
    with messages_api(ENV["TWILIO_AUTH_TOKEN"]) as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def helpline(
    tmp_path_factory: pytest.TempPathFactory, rendered: Path, twilio: MessagesStandIn
) -> Flask:
    """The helpline as `ivr serve` runs it, able to send texts (to the stand-in)."""
    folder = tmp_path_factory.mktemp("texts")
    env = {
        **ENV,
        "DATABASE_URL": f"sqlite:///{folder}/texts.sqlite3",
        "PROMPT_AUDIO": "auto",
        "AUDIO_DIR": str(rendered),
        "GATHER_TIMEOUT": "5",
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "SMS_FROM": "+447400123999",
        "TWILIO_API_BASE_URL": twilio.base_url,
    }
    return create_app(env, development=True)


def test_the_practice_phone_shows_the_text_it_would_send(
    helpline: Flask, browser: Any, twilio: MessagesStandIn
) -> None:
    """Keys to England, silence for the question, then 2: the transcript says what would be
    sent, the helpline says it was, and nothing reached Twilio."""
    body = helpline.extensions["ivr"].content.texts["en-GB"]["england"].body
    with served(helpline) as base:
        page = browser.new_page(bypass_csp=True)
        page.goto(f"{base}/phone?keys=4+1+.+2")
        page.get_by_role("button", name="Call the helpline").click()
        shown = page.locator("#transcript li.transfer", has_text="Would send")
        shown.wait_for(timeout=60_000)
        text = " ".join(shown.text_content().split())
        assert " ".join(body.split()) in text
        page.locator("#transcript li.heard", has_text="I have sent you a text.").wait_for()
        no_violations(page, "phone-would-send")
        page.get_by_role("button", name="Hang up").click()
        page.close()
    assert twilio.sent == []
