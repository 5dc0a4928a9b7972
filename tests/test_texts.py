"""Texts a caller asks for: offered only to UK mobiles, sent once per key through the real twilio
client to a local stand-in of Twilio's Messages API, with a signed status callback; the failure
said and the call going on; a day's limit for a number; nothing sent from practice calls; and
the number kept nowhere."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import inspect, select

from ivr import create_app
from ivr.content.load import Content
from ivr.content.texts import segments, septets
from ivr.practice.phone import Phone, Transcript
from ivr.store import Store
from ivr.store.tables import Base
from ivr.store.texts import TEXTS_PER_NUMBER_A_DAY
from tests.conftest import CALLER, ENV, TOKEN, signed_post
from tests.test_phone_site import BASE, bridge, new_sid
from tests.twilio_messages import ACCOUNT, MessagesStandIn, messages_api

# Mobiles as libphonenumber sees them (Ofcom's drama range, 07700 900..., is not valid to it);
# nothing is ever sent to them: the stand-in takes every text.
MOBILE = "+447400123456"
OTHER_MOBILE = "+447400123457"
SMS_FROM = "+447700900999"
SERVICE = "MG" + "c" * 32
TO_ENGLAND = ["4", "1", "."]  # referral, England, and silence to skip whether it helped


@pytest.fixture
def twilio() -> Iterator[MessagesStandIn]:
    with messages_api(TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
def texting(
    make_app: Callable[..., Flask], twilio: MessagesStandIn, tmp_path: Path
) -> Callable[..., Flask]:
    """Apps that send texts from SMS_FROM through the stand-in, each with its own database."""

    def make(**changes: str) -> Flask:
        settings = {
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "SMS_FROM": SMS_FROM,
            "TWILIO_API_BASE_URL": twilio.base_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'texts.sqlite3'}",
            **changes,
        }
        return make_app(**settings)

    return make


def prompt(app: Flask, prompt_id: str) -> str:
    text: str = app.extensions["ivr"].content.prompts[prompt_id].spoken
    return text


def text_of(app: Flask, kind: str, language: str = "en-GB") -> str:
    body: str = app.extensions["ivr"].content.texts[language][kind].body
    return body


def call(app: Flask, keys: list[str], caller: str = MOBILE) -> Transcript:
    transcript = Phone(app, auth_token=TOKEN, caller=caller).call(keys)
    assert transcript.errors() == []
    return transcript


def every_value(store: Store) -> str:
    """Every value of every table, as text: where a number would show if it were kept."""
    store.flush()
    found = []
    with store.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if inspect(connection).has_table(table.name):
                found += [repr(tuple(row)) for row in connection.execute(select(table))]
    return "\n".join(found)


# --- offered ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "offered"),
    [(MOBILE, True), (CALLER, False), ("anonymous", False), ("+12025550123", False)],
)
def test_a_text_is_offered_only_to_a_uk_mobile(
    texting: Callable[..., Flask], twilio: MessagesStandIn, caller: str, offered: bool
) -> None:
    """A UK mobile hears the offer on the key after the part's options; a landline, a withheld
    or a foreign number does not, and that key is no choice there."""
    app = texting()
    transcript = call(app, [*TO_ENGLAND, "2"], caller)
    heard = transcript.heard()
    assert (prompt(app, "texting.offer_2") in heard) is offered
    assert (prompt(app, "system.not_an_option") in heard) is not offered
    assert len(twilio.sent) == (1 if offered else 0)


def test_without_an_account_to_send_from_nothing_is_offered(
    make_app: Callable[..., Flask], twilio: MessagesStandIn
) -> None:
    """No SMS_FROM or Messaging Service: a mobile caller is not offered what cannot be sent."""
    app = make_app(TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_API_BASE_URL=twilio.base_url)
    transcript = call(app, [*TO_ENGLAND, "2"])
    assert prompt(app, "texting.offer_2") not in transcript.heard()
    assert twilio.sent == []


# --- sent ------------------------------------------------------------------------------------


def test_one_key_sends_the_text_once(
    texting: Callable[..., Flask], twilio: MessagesStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """The key sends the part's text, from SMS_FROM, with the status callback; the caller hears
    it was sent, the offer is not made again, and the key again sends nothing."""
    app = texting()
    caplog.set_level(logging.INFO)
    transcript = call(app, [*TO_ENGLAND, "2", "2"])
    assert twilio.sent == [
        {
            "To": MOBILE,
            "From": SMS_FROM,
            "Body": text_of(app, "england"),
            "StatusCallback": "http://localhost/voice/text/status",
        }
    ]
    heard = transcript.heard()
    sent_at = heard.index(prompt(app, "texting.sent"))
    assert prompt(app, "texting.offer_2") not in heard[sent_at:]
    assert heard[-3:-1] == [prompt(app, "system.not_an_option"), prompt(app, "referral.also_next")]
    store: Store = app.extensions["ivr"].store
    [text] = store.texts_of(transcript.call_sid)
    assert (text.kind, text.status) == ("england", "queued")
    # The number is used to send, and kept nowhere: not in a URL, the log or the database.
    assert not any(MOBILE in request.url for request in transcript.requests)
    assert MOBILE not in caplog.text and MOBILE.lstrip("+") not in caplog.text
    assert MOBILE not in every_value(store)


def test_a_messaging_service_sends_when_one_is_set(
    texting: Callable[..., Flask], twilio: MessagesStandIn
) -> None:
    """With TWILIO_MESSAGING_SERVICE_SID, Twilio picks the sender from the service."""
    app = texting(SMS_FROM="", TWILIO_MESSAGING_SERVICE_SID=SERVICE)
    call(app, [*TO_ENGLAND, "2"])
    [sent] = twilio.sent
    assert sent["MessagingServiceSid"] == SERVICE and "From" not in sent


def test_the_delivery_status_is_kept_from_the_signed_callback(
    texting: Callable[..., Flask], twilio: MessagesStandIn
) -> None:
    """Twilio's status callback, signed, updates the text; an unsigned one is refused."""
    app = texting()
    transcript = call(app, [*TO_ENGLAND, "2"])
    store: Store = app.extensions["ivr"].store
    params = {"MessageSid": f"SM{1:032x}", "MessageStatus": "delivered", "To": MOBILE}
    client = app.test_client()
    assert signed_post(client, "/voice/text/status", params)[0] == 200
    assert [t.status for t in store.texts_of(transcript.call_sid)] == ["delivered"]
    forged = {**params, "MessageStatus": "failed"}
    assert client.post("/voice/text/status", data=forged).status_code == 403
    assert [t.status for t in store.texts_of(transcript.call_sid)] == ["delivered"]


def test_a_text_that_fails_is_said_and_the_call_goes_on(
    texting: Callable[..., Flask], twilio: MessagesStandIn
) -> None:
    """Twilio refuses: the caller hears so and the part again, and every key works after."""
    app = texting()
    twilio.failing = True
    transcript = call(app, [*TO_ENGLAND, "2", "8"])
    heard = transcript.heard()
    failed_at = heard.index(prompt(app, "texting.failed"))
    assert heard[failed_at + 1] == prompt(app, "referral.england")
    assert prompt(app, "texting.offer_2") not in heard[failed_at:]
    assert heard[-1] == prompt(app, "main.choices")
    store: Store = app.extensions["ivr"].store
    assert [t.status for t in store.texts_of(transcript.call_sid)] == ["failed"]


def test_a_number_is_sent_a_few_texts_a_day_at_most(
    texting: Callable[..., Flask], twilio: MessagesStandIn
) -> None:
    """Call after call asking for the same text: the number gets the day's few, then the caller
    hears it could not be sent; another number is not held back."""
    app = texting()
    for _ in range(TEXTS_PER_NUMBER_A_DAY):
        assert prompt(app, "texting.sent") in call(app, [*TO_ENGLAND, "2"]).heard()
    over = call(app, [*TO_ENGLAND, "2"]).heard()
    assert prompt(app, "texting.failed") in over and prompt(app, "texting.sent") not in over
    assert len(twilio.sent) == TEXTS_PER_NUMBER_A_DAY
    assert prompt(app, "texting.sent") in call(app, [*TO_ENGLAND, "2"], OTHER_MOBILE).heard()
    assert [m["To"] for m in twilio.sent[-2:]] == [MOBILE, OTHER_MOBILE]


def test_the_call_back_confirmation_can_be_texted(
    texting: Callable[..., Flask], twilio: MessagesStandIn
) -> None:
    """After a call back is booked on the caller's own mobile, 1 texts the confirmation."""
    app = texting(NURSE_LINE_HOURS="never")
    transcript = call(app, ["0", "1", "1", "1"])
    assert prompt(app, "texting.offer_1") in transcript.heard()
    assert [m["Body"] for m in twilio.sent] == [text_of(app, "callback")]


# --- practice calls --------------------------------------------------------------------------


def test_a_practice_call_never_sends_and_shows_what_it_would(
    texting: Callable[..., Flask], twilio: MessagesStandIn
) -> None:
    """The practice phones play as a mobile: the offer is made and the key pressed, the
    transcript shows the text it would send, and nothing reaches Twilio or the database."""
    app = texting()
    transcript = Phone(app, auth_token=TOKEN).call([*TO_ENGLAND, "2"])
    assert transcript.errors() == []
    [shown] = transcript.of_kind("text")
    assert shown.text == text_of(app, "england")
    assert shown.line().startswith("Would send a text (a practice call sends none): From the")
    assert prompt(app, "texting.sent") in transcript.heard()
    assert twilio.sent == []
    assert app.extensions["ivr"].store.texts_of(transcript.call_sid) == []


def test_the_practice_page_shows_what_would_be_sent(
    twilio: MessagesStandIn, tmp_path: Path
) -> None:
    """The phone in the browser gets the text with the bridge's answer, for its transcript."""
    env = {
        **ENV,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "SMS_FROM": SMS_FROM,
        "TWILIO_API_BASE_URL": twilio.base_url,
    }
    app = create_app(env, development=True)
    client = app.test_client()
    step = f"{BASE}/voice/step?n=england&b=main.referral&f=1"
    body = {"url": step, "callSid": new_sid(client), "inputs": {"Digits": "2"}}
    answer = bridge(client, body).json
    assert answer["status"] == 200
    assert answer["wouldSend"] == text_of(app, "england")
    assert twilio.sent == []


# --- the texts as content --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "counted", "sms"),
    [
        ("a" * 160, 160, 1),
        ("a" * 161, 161, 2),
        ("a" * 306, 306, 2),
        ("a" * 307, 307, 3),
        ("€" * 80, 160, 1),  # each of the extension table's characters takes two places
        ("[" * 81, 162, 2),
    ],
)
def test_a_text_is_counted_as_gsm7_counts_it(text: str, counted: int, sms: int) -> None:
    """160 septets fit one SMS; longer texts go in parts of 153."""
    assert (septets(text), segments(text)) == (counted, sms)


def test_every_text_fits_two_sms_in_every_language(content: Content) -> None:
    """The real texts, filled in, in both languages: GSM-7, two SMS at most, the name, and the
    line that says no replies are read."""
    assert set(content.texts) == {"en-GB", "cy-GB"}
    for book in content.texts.values():
        assert set(book.texts) == {
            "england",
            "scotland",
            "wales",
            "northern_ireland",
            "questions",
            "what_to_take",
            "callback",
        }
        for text in book.texts.values():
            assert text.segments <= 2, (book.language, text.id)
            assert book.no_reply in text.body.splitlines()
    assert "0800 917 2127" in content.texts["en-GB"]["scotland"].body


def test_a_caller_in_welsh_is_sent_the_welsh_text(
    texting: Callable[..., Flask], twilio: MessagesStandIn
) -> None:
    """The text goes in the call's language: a call in Welsh gets texts.yaml's Welsh."""
    app = texting(LANGUAGES="en-GB,cy-GB", LANGUAGES_UNREVIEWED="cy-GB")
    step = "/voice/step?n=england&b=main.referral&f=1&l=cy-GB"
    status, _, body = signed_post(app.test_client(), step, {"Digits": "2", "From": MOBILE})
    assert status == 200
    welsh = app.extensions["ivr"].content.languages.prompts["cy-GB"]["texting.sent"].spoken
    assert welsh in body
    assert [m["Body"] for m in twilio.sent] == [text_of(app, "england", "cy-GB")]
    assert "Nid yw'r rhif hwn yn derbyn atebion." in twilio.sent[0]["Body"]
