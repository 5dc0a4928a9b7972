"""The webhooks: signatures, content type, and TwiML that keeps the caller safe on any error."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import string
import xml.etree.ElementTree as ET
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from ivr.call.engine import Engine
from ivr.config import ConfigError, load_settings
from ivr.content.hours import parse_hours
from ivr.webhooks.fallback import Fallback
from ivr.webhooks.helpline import install
from ivr.webhooks.signature import TwilioParams, signature_of
from ivr.webhooks.views import webhook_paths
from tests.conftest import CALLER, TOKEN, signed_post
from tests.trees import LAST_RESORT_SAFETY

WEBHOOKS = [
    "/voice/incoming",
    "/voice/step?n=main",
    "/voice/dial?n=nurse",
    "/voice/status",
    "/voice/fallback",
]


def test_twilio_published_signature_vector() -> None:
    """Our validator accepts Twilio's published example, so we sign and check as Twilio does."""
    # The vector as twilio-python's own tests publish it. (The standards page lists
    # +12349013030 for Caller/From; with that number the signature is 0/KCTR6DLpKmkAf8muzZqo1nDgQ=.)
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    validator = RequestValidator("12345")
    assert validator.compute_signature(url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert validator.validate(url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    form = TwilioParams(urlencode(params))
    assert signature_of(b"12345", url, form) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


@pytest.mark.parametrize(
    "body",
    [
        "CallSid=CA1&Digits=1&From=%2B442079460123",
        "A=2&A=1&A=2&B=&C=caf%C3%A9+%E2%98%8E",  # repeated names, an empty value, UTF-8
        "SpeechResult=I+want+a+nurse&Confidence=0.9&CallSid=CA" + "0" * 32,
        "",
    ],
)
def test_our_signature_is_twilios_for_any_form(body: str) -> None:
    """The signature the webhooks compute is the one twilio's RequestValidator computes, for
    forms with repeated names, empty values and non-ASCII text."""
    form = TwilioParams(body)
    url = "https://helpline.example.org/voice/step?n=main&b=about"
    assert signature_of(b"a-token", url, form) == RequestValidator("a-token").compute_signature(
        url, form
    )


@pytest.mark.parametrize("path", WEBHOOKS)
def test_signed_requests_get_twiml(client: FlaskClient, path: str) -> None:
    """Every webhook answers a signed request with 200 and text/xml starting with <?xml."""
    status, mimetype, body = signed_post(client, path)
    assert (status, mimetype) == (200, "text/xml")
    assert body.startswith("<?xml")
    assert ET.fromstring(body).tag == "Response"


@pytest.mark.parametrize("path", [*WEBHOOKS, "/voice/no-such-hook"])
def test_forged_signature_is_refused(client: FlaskClient, path: str) -> None:
    """A request signed with another token gets a 403 and no TwiML."""
    status, _, body = signed_post(client, path, token="not-our-token")
    assert status == 403
    assert "<Response" not in body


@pytest.mark.parametrize("path", WEBHOOKS)
def test_missing_signature_is_refused(client: FlaskClient, path: str) -> None:
    """A request with no X-Twilio-Signature header gets a 403."""
    assert client.post(path, data={"CallSid": "CA1"}).status_code == 403


def test_tampered_parameters_are_refused(client: FlaskClient) -> None:
    """A valid signature for other parameters does not let a changed request through."""
    params = {"CallSid": "CA1", "Digits": "1"}
    signature = RequestValidator(TOKEN).compute_signature(
        "http://localhost/voice/step?n=main", params
    )
    response = client.post(
        "/voice/step?n=main",
        data={**params, "Digits": "0"},
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 403


def test_a_request_signed_for_another_site_is_refused_whatever_its_headers_say(
    make_app: Callable[..., Flask],
) -> None:
    """Behind a proxy, signatures are checked against PUBLIC_BASE_URL only: a request signed for
    a staging site is refused even when X-Forwarded-Host names that site."""
    app = make_app(PUBLIC_BASE_URL="https://helpline.example.org", PROXY_HOPS="1")
    client = app.test_client()
    staging = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "staging.example.org"}
    assert (
        signed_post(client, "/voice/incoming", base="https://staging.example.org", headers=staging)[
            0
        ]
        == 403
    )
    ours = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "helpline.example.org"}
    assert (
        signed_post(client, "/voice/incoming", base="https://helpline.example.org", headers=ours)[0]
        == 200
    )


def test_production_needs_the_public_address_and_trusts_no_proxy_by_default() -> None:
    """Outside development PUBLIC_BASE_URL is required; PROXY_HOPS is 0 unless set."""
    from tests.conftest import ENV

    env = {k: v for k, v in ENV.items() if k != "PUBLIC_BASE_URL"}
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL is not set"):
        load_settings(env)
    assert load_settings(ENV).proxy_hops == 0


def test_public_base_url_is_used_when_set(make_app: Callable[..., Flask]) -> None:
    """With PUBLIC_BASE_URL set, the signature is checked against it, headers or not."""
    client = make_app(PUBLIC_BASE_URL="https://calls.example.org", PROXY_HOPS="0").test_client()
    assert signed_post(client, "/voice/step?n=main", base="https://calls.example.org")[0] == 200
    assert signed_post(client, "/voice/step?n=main")[0] == 403


def test_development_mode_without_token_takes_unsigned_requests(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    """`ivr serve` without a token answers unsigned requests and warns loudly that it does."""
    from ivr import create_app

    env = {"CONTENT_DIR": make_app().extensions["ivr"].settings.content_dir.as_posix()}
    with caplog.at_level(logging.WARNING):
        app = create_app(env, development=True)
    assert "NOT checked" in caplog.text
    response = app.test_client().post("/voice/incoming", data={"CallSid": "CA1"})
    assert response.status_code == 200


def test_gather_has_the_attributes_every_menu_needs(client: FlaskClient) -> None:
    """Every Gather: keys and speech, en-GB, 8 s, # not a finish key, then a Redirect."""
    _, _, body = signed_post(client, "/voice/incoming")
    root = ET.fromstring(body)
    gather, redirect = list(root)
    assert (gather.tag, redirect.tag) == ("Gather", "Redirect")
    assert {
        k: gather.attrib[k]
        for k in ("input", "language", "timeout", "finishOnKey", "numDigits", "method")
    } == {
        "input": "dtmf speech",
        "language": "en-GB",
        "timeout": "8",
        "finishOnKey": "",
        "numDigits": "1",
        "method": "POST",
    }
    assert redirect.text == gather.attrib["action"]
    assert "nurse" in gather.attrib["hints"]
    says = list(gather)
    assert says and all(s.tag == "Say" and s.attrib["language"] == "en-GB" for s in says)


def test_gather_timeout_is_configurable(make_app: Callable[..., Flask]) -> None:
    """GATHER_TIMEOUT sets the timeout on every Gather."""
    _, _, body = signed_post(make_app(GATHER_TIMEOUT="10").test_client(), "/voice/incoming")
    gather = ET.fromstring(body).find("Gather")
    assert gather is not None and gather.attrib["timeout"] == "10"


def test_transfer_dials_with_a_timeout_and_an_action(client: FlaskClient) -> None:
    """0 rings the nurse line with a Dial that reports its outcome to /voice/dial."""
    _, _, body = signed_post(client, "/voice/step?n=main", {"Digits": "0"})
    root = ET.fromstring(body)
    dial = root.find("Dial")
    assert dial is not None
    assert dial.attrib["action"].startswith("/voice/dial?n=nurse")
    assert dial.attrib["timeout"] == "30"
    number = dial.find("Number")
    assert number is not None and number.text == "+441632960000"
    assert [child.tag for child in root] == ["Say", "Dial"]


def test_an_internal_error_still_answers_safe_twiml(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If answering raises, the caller hears an apology and the main menu, not an HTTP 500."""
    engine = app.extensions["ivr"].engine

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Engine, "respond", broken)
    status, mimetype, body = signed_post(client, "/voice/step?n=main", {"Digits": "1"})
    assert (status, mimetype) == (200, "text/xml")
    root = ET.fromstring(body)
    gather = root.find("Gather")
    assert gather is not None
    said = ["".join(s.itertext()) for s in gather]
    assert said[0] == engine_prompt(app, "system.error")
    assert gather.attrib["action"].startswith("/voice/step?n=main")
    assert engine is app.extensions["ivr"].engine


def engine_prompt(app: Flask, prompt_id: str) -> str:
    prompts = app.extensions["ivr"].content.prompts
    text: str = prompts[prompt_id].spoken
    return text


def test_when_recovery_fails_too_the_caller_is_put_through(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If even the engine's recovery raises, the fallback apologises and rings a person."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("broken")

    monkeypatch.setattr(Engine, "respond", broken)
    monkeypatch.setattr(Engine, "recover", broken)
    status, _, body = signed_post(client, "/voice/step?n=main", {"Digits": "1"})
    root = ET.fromstring(body)
    assert status == 200
    assert [c.tag for c in root] == ["Say", "Dial"]
    assert root[0].text == engine_prompt(app, "system.fallback")


def test_unknown_voice_path_answers_twiml(client: FlaskClient) -> None:
    """A signed request to a path we do not have still hears the menu, not a 404."""
    status, mimetype, body = signed_post(client, "/voice/no-such-hook")
    assert (status, mimetype) == (200, "text/xml")
    assert ET.fromstring(body).find("Gather") is not None


class Gone:
    """Stands where a part of the app was: any use of it fails the test that removed it."""

    def __init__(self, part: str) -> None:
        self.part = part

    def __getattr__(self, name: str) -> None:
        raise AssertionError(f"the {self.part} is gone, but its {name} was used")

    def __call__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError(f"the {self.part} is gone, but it was called")


def test_fallback_puts_the_caller_through_without_the_flow(app: Flask) -> None:
    """The Fallback URL rings the nurse line even when the flow and engine are gone."""
    helpline = app.extensions["ivr"]
    fallback_text = helpline.content.prompts["system.fallback"].spoken
    gone = {part: Gone(part) for part in ("engine", "render", "content")}
    install(app, dataclasses.replace(helpline, **gone))
    status, _, body = signed_post(app.test_client(), "/voice/fallback")
    root = ET.fromstring(body)
    assert status == 200
    assert [c.tag for c in root] == ["Say", "Dial"]
    assert root[0].text == fallback_text


def test_fallback_speaks_even_without_prompts(app: Flask) -> None:
    """With no prompts at all, the fallback still says what to do in an emergency."""
    settings = app.extensions["ivr"].settings
    closed = dataclasses.replace(settings, nurse_line_hours=parse_hours("never"))
    paths = webhook_paths(app)
    root = ET.fromstring(Fallback(closed, None, paths).twiml(dt.datetime.now(dt.UTC), None))
    assert [c.tag for c in root] == ["Say", "Say", "Pause", "Say", "Hangup"]
    # The one safety message, word for word as safety.message says it: 999 said as digits.
    assert root[1].text == root[3].text == LAST_RESORT_SAFETY
    assert "nine nine nine" in LAST_RESORT_SAFETY and "999" not in LAST_RESORT_SAFETY


@pytest.mark.parametrize(
    ("outcome", "tags"),
    [
        ("completed", ["Say", "Hangup"]),
        ("no-answer", ["Say", "Say", "Pause", "Say", "Say", "Hangup"]),
    ],
)
def test_fallback_after_its_dial(client: FlaskClient, outcome: str, tags: list[str]) -> None:
    """After the fallback's call: thanks if answered; otherwise hours and the safety message."""
    _, _, body = signed_post(client, "/voice/fallback?dialled=1", {"DialCallStatus": outcome})
    assert [c.tag for c in ET.fromstring(body)] == tags


def test_fallback_when_the_nurse_line_is_closed(make_app: Callable[..., Flask]) -> None:
    """Closed: sorry, the safety message twice, when to call again, then goodbye."""
    app = make_app(NURSE_LINE_HOURS="never")
    _, _, body = signed_post(app.test_client(), "/voice/fallback")
    root = ET.fromstring(body)
    prompts = app.extensions["ivr"].content.prompts
    assert [c.tag for c in root] == ["Say", "Say", "Pause", "Say", "Say", "Hangup"]
    said = [root[0].text, root[1].text, root[3].text, root[4].text]
    assert said == [
        prompts[p].spoken
        for p in ("system.fallback_closed", "safety.message", "safety.message", "system.call_again")
    ]
    assert "nine nine nine" in (root[1].text or "")


def test_logs_name_the_call_never_the_caller(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Logs carry the CallSid and the path, and never the caller's number."""
    with caplog.at_level(logging.DEBUG, logger="ivr"):
        for path, data in [
            ("/voice/incoming", {}),
            ("/voice/step?n=main", {"Digits": "1"}),
            ("/voice/status", {"CallStatus": "completed", "CallDuration": "42"}),
        ]:
            signed_post(client, path, {**data, "Caller": CALLER, "To": "+441632960000"})
    assert "call=CA" in caplog.text
    assert "from=main heard=1" in caplog.text
    assert "duration=42s" in caplog.text
    digits = CALLER.lstrip("+")
    assert digits not in caplog.text
    assert digits[-6:] not in caplog.text


def test_production_refuses_to_start_without_a_token() -> None:
    """The production app (no development flag) will not start without TWILIO_AUTH_TOKEN."""
    from ivr import create_app
    from ivr.config import ConfigError
    from tests.conftest import ENV

    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN is not set"):
        create_app({k: v for k, v in ENV.items() if k != "TWILIO_AUTH_TOKEN"})


def test_the_form_is_read_as_the_standard_library_reads_it() -> None:
    """Twilio's form, read by the webhooks' own parser (quicker for the escapes Twilio sends),
    gives what parse_qsl gives, for a thousand random forms with every kind of escape."""
    rng = random.Random(20261129)
    letters = string.printable + "é☎+%:/,&="
    for _ in range(1000):
        fields = [
            (
                "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(1, 8))),
                "".join(rng.choice(letters) for _ in range(rng.randint(0, 12))),
            )
            for _ in range(rng.randint(1, 6))
        ]
        body = urlencode(fields)
        form = TwilioParams(body)
        expected: dict[str, list[str]] = {}
        for name, value in parse_qsl(body, keep_blank_values=True):
            expected.setdefault(name, []).append(value)
        assert {name: form.getall(name) for name in form} == expected, body
