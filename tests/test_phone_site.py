"""/phone on the server: who may use it, the signing bridge, and the call as text without JS."""

from __future__ import annotations

import io
import json
import re
import wave
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, request
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.csrf import csrf
from ivr.practice.lines import PAGE_LINES
from ivr.practice.phone import DEFAULT_CALLER, DIAL_OUTCOMES
from ivr.store.stats import recent_calls
from tests.conftest import ENV

BASE = "https://localhost"  # outside development the session cookie is Secure
SAME_SITE = {"Referer": f"{BASE}/phone"}
PASSWORD = "a long enough password"


def new_sid(client: FlaskClient) -> str:
    """A practice CallSid, as the page gets one."""
    token = page_token(client)
    answer = client.post("/phone/sid", base_url=BASE, headers={**SAME_SITE, "X-CSRFToken": token})
    assert answer.status_code == 200
    sid: str = answer.json["sid"]
    return sid


@pytest.fixture
def dev_app(tmp_path: Path) -> Flask:
    """The helpline as `ivr serve` runs it: development mode, signatures still checked."""
    env = {**ENV, "DATABASE_URL": f"sqlite:///{tmp_path}/dev.sqlite3"}
    return create_app(env, development=True)


def csrf_of(page: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert found is not None, page
    return found.group(1)


def page_token(client: FlaskClient) -> str:
    """The CSRF token of the phone page, as its script sends it."""
    return csrf_of(client.get("/phone", base_url=BASE).get_data(as_text=True))


def bridge(client: FlaskClient, body: dict[str, Any], token: str | None = None) -> Any:
    """POST to the bridge as the page does, with the page's CSRF token."""
    if token is None:
        token = page_token(client)
    return client.post(
        "/phone/bridge",
        base_url=BASE,
        json=body,
        headers={**SAME_SITE, "X-CSRFToken": token},
    )


def transcript(client: FlaskClient, form: dict[str, str]) -> str:
    """Send the page's form as a browser with JavaScript off does; the page that comes back."""
    token = page_token(client)
    answer = client.post(
        "/phone/transcript", base_url=BASE, headers=SAME_SITE, data={**form, "csrf_token": token}
    )
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_development_opens_the_phone_and_slash_leads_to_it(dev_app: Flask) -> None:
    """In development / leads to the phone: every key labelled, the transcript a live log, a
    strict security policy, and every entry code a starting point."""
    client = dev_app.test_client()
    landing = client.get("/")
    assert landing.status_code == 302
    assert landing.headers["Location"] == "/phone"
    page = client.get("/phone").get_data(as_text=True)
    assert "<h1>Call the helpline</h1>" in page
    # Every key of a phone, labelled for a screen reader where the symbol says little.
    for key in "1234567890":
        assert f'<button type="button" data-key="{key}">{key}</button>' in page
    assert '<button type="button" data-key="*" aria-label="star">*</button>' in page
    assert '<button type="button" data-key="#" aria-label="hash">#</button>' in page
    assert 'role="log" aria-live="polite"' in page
    policy = client.get("/phone").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "default-src 'none'" in policy
    # Every entry code can be a starting point.
    assert '<option value="21">21: Walk-through 1: unsure about diagnosis?</option>' in page


def test_outside_development_only_signed_in_staff_may_call(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """Outside development the page sends a stranger to sign in (keeping the link), the bridge
    and the form answer 401, and a signed-in member of staff can call."""
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/staff.sqlite3")
    app.extensions["ivr"].store.add_staff("sam", PASSWORD)
    client = app.test_client()
    response = client.get("/phone?start=21", base_url=BASE)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/sign-in?next=/phone?start%3D21")
    assert client.get("/", base_url=BASE).headers["Location"] == "/phone"
    refused = client.post("/phone/bridge", base_url=BASE, json={}, headers=SAME_SITE)
    assert refused.status_code == 401
    assert refused.json == {"error": "Sign in to the staff site to use the phone."}
    assert client.post("/phone/transcript", base_url=BASE, data={"keys": "1"}).status_code == 401

    form = client.get("/staff/sign-in", base_url=BASE).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf is not None
    client.post(
        "/staff/sign-in",
        base_url=BASE,
        headers=SAME_SITE,
        data={"name": "sam", "password": PASSWORD, "csrf_token": csrf.group(1)},
    )
    page = client.get("/phone", base_url=BASE)
    assert page.status_code == 200
    assert "Back to the staff site" in page.get_data(as_text=True)
    answer = bridge(
        client, {"url": f"{BASE}/voice/incoming", "callSid": new_sid(client), "first": 1}
    )
    assert answer.status_code == 200
    assert answer.json["status"] == 200


def test_the_bridge_signs_requests_so_the_webhooks_accept_them(dev_app: Flask) -> None:
    """With an auth token set the webhooks check signatures: the bridge's requests pass."""
    client = dev_app.test_client()
    sid = new_sid(client)
    first = bridge(client, {"url": f"{BASE}/voice/incoming", "callSid": sid, "first": True})
    assert first.status_code == 200
    answer = first.json
    assert answer["status"] == 200
    assert answer["contentType"].startswith("text/xml")
    root = ET.fromstring(answer["twiml"])
    gather = root.find("Gather")
    assert gather is not None
    # The next request is what the Gather's action says, with the key pressed.
    action = gather.attrib["action"]
    second = bridge(
        client,
        {"url": f"{BASE}{action}", "callSid": sid, "inputs": {"Digits": "2"}},
    ).json
    assert second["status"] == 200
    assert "five reasons" in second["twiml"]
    # The same request unsigned, straight to the webhook, is refused.
    assert client.post(action, base_url=BASE, data={"CallSid": sid}).status_code == 403


def test_the_bridge_signs_for_the_public_address(tmp_path: Path) -> None:
    """Behind a proxy with PUBLIC_BASE_URL, the webhooks check that address: so does the bridge."""
    env = {
        **ENV,
        "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite3",
        "PUBLIC_BASE_URL": "https://helpline.example.org",
    }
    client = create_app(env, development=True).test_client()
    url = "https://helpline.example.org/voice/incoming"
    answer = bridge(client, {"url": url, "callSid": new_sid(client), "first": True}).json
    assert answer["status"] == 200
    assert answer["url"] == url


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"url": "https://elsewhere.example/voice/incoming"}, "only calls this helpline"),
        ({"url": f"{BASE}/staff/api/callbacks"}, "only calls this helpline"),
        ({"url": f"{BASE}/voice/../staff/"}, "only calls this helpline"),
        ({"url": f"{BASE}/voice/incoming", "callSid": "CA1"}, "callSid must be"),
        ({"url": f"{BASE}/voice/incoming", "inputs": {"From": "+447700900123"}}, "inputs may"),
        ({"url": f"{BASE}/voice/incoming", "method": "DELETE"}, "method must be"),
        ({"url": f"{BASE}/voice/whisper", "leg": "answerer", "to": "nurse"}, "to must be"),
        # A real call's SID, or any made up: a practice call may not write to a real call.
        ({"url": f"{BASE}/voice/incoming", "callSid": "CA" + "5" * 32}, "practice CallSid"),
        (
            {"url": f"{BASE}/voice/dial", "inputs": {"DialCallSid": "CA" + "6" * 32}},
            "DialCallSid must be a practice CallSid",
        ),
        # Twilio's parameters in a GET's query string would win over the bridge's own.
        (
            {"url": f"{BASE}/voice/step?n=main&From=%2B442079460999", "method": "GET"},
            "may not set Twilio's parameters: From",
        ),
        ({"url": f"{BASE}/voice/incoming?CallSid=CA1&Digits=1"}, "CallSid, Digits"),
    ],
)
def test_the_bridge_refuses_anything_but_a_call_to_this_helpline(
    dev_app: Flask, body: dict[str, Any], why: str
) -> None:
    """A request for another site or path, a number dialled that is not one, a CallSid not made
    for practice, or Twilio's own parameters in the URL: refused with a 400 that says why."""
    client = dev_app.test_client()
    answer = bridge(client, {"callSid": new_sid(client), **body})
    assert answer.status_code == 400
    assert why in answer.get_data(as_text=True)


def test_the_bridge_needs_the_pages_csrf_token(dev_app: Flask) -> None:
    """A bridge request without the page's own CSRF token is refused."""
    client = dev_app.test_client()
    client.get("/phone", base_url=BASE)
    body = {"url": f"{BASE}/voice/incoming", "callSid": new_sid(client)}
    refused = bridge(client, body, token="forged")
    assert refused.status_code == 400
    assert "CSRF" in refused.get_data(as_text=True)


def test_the_call_as_text_is_a_form_with_its_csrf_token(dev_app: Flask) -> None:
    """Running a call can book a call back: never from a link or another site's form."""
    client = dev_app.test_client()
    assert client.get("/phone/transcript?keys=0+1", base_url=BASE).status_code == 405
    client.get("/phone", base_url=BASE)
    refused = client.post("/phone/transcript", base_url=BASE, headers=SAME_SITE, data={})
    assert refused.status_code == 400


def test_a_development_server_reached_by_another_name_needs_a_sign_in(dev_app: Flask) -> None:
    """Open on loopback; from another machine (or a DNS-rebinding page) staff sign in."""
    client = dev_app.test_client()
    assert client.get("/phone", base_url="http://127.0.0.1:5000").status_code == 200
    elsewhere = client.get("/phone", base_url="http://192.168.1.20:5000")
    assert elsewhere.status_code == 302
    assert "/staff/sign-in" in elsewhere.headers["Location"]
    answer = client.post("/phone/sid", base_url="http://attacker.example:5000", json={})
    assert answer.status_code == 401


def test_the_whisper_is_asked_for_as_the_answering_call(dev_app: Flask) -> None:
    """The person a transfer rings is a child call: its own CallSid, the caller's as parent."""
    client = dev_app.test_client()
    sid = new_sid(client)
    start = bridge(client, {"url": f"{BASE}/voice/incoming", "callSid": sid, "first": True}).json
    action = ET.fromstring(start["twiml"]).find("Gather").attrib["action"]  # type: ignore[union-attr]
    body = {"url": BASE + action, "callSid": sid, "inputs": {"Digits": "0"}}
    dial = ET.fromstring(bridge(client, body).json["twiml"]).find("Dial")
    assert dial is not None
    number = dial.find("Number")
    assert number is not None and number.text == ENV["NURSE_LINE_NUMBER"]
    whisper_body = {
        "url": BASE + number.attrib["url"],
        "callSid": sid,
        "leg": "answerer",
        "to": number.text,
        "dialCallSid": new_sid(client),
    }
    whisper = bridge(client, whisper_body).json
    assert whisper["status"] == 200
    assert "To take the call, press 1" in whisper["twiml"]


def test_captions_come_with_each_recording(
    make_app: Callable[..., Flask], rendered: Path, tmp_path: Path
) -> None:
    """With rendered audio, the bridge gives the written words of every <Play>."""
    app = create_app(
        {
            **ENV,
            "PROMPT_AUDIO": "auto",
            "AUDIO_DIR": str(rendered),
            "DATABASE_URL": f"sqlite:///{tmp_path}/a.sqlite3",
        },
        development=True,
    )
    client = app.test_client()
    body = {"url": f"{BASE}/voice/incoming", "callSid": new_sid(client), "first": True}
    answer = bridge(client, body).json
    played = [p.text for p in ET.fromstring(answer["twiml"]).iter("Play")]
    assert played, answer["twiml"]
    prompts = app.extensions["ivr"].content.prompts
    assert answer["captions"] == {url: app.extensions["ivr"].audio.caption(url) for url in played}
    assert answer["captions"][played[0]] == prompts["welcome.hello"].text


def test_without_javascript_the_call_is_shown_as_text(dev_app: Flask) -> None:
    """The form's fallback: the keys are pressed on the server and the whole call is listed."""
    client = dev_app.test_client()
    page = transcript(client, {"start": "", "keys": "2 1 . 0", "dial": "busy"})
    lines = [
        " ".join(re.sub(r"<[^>]+>", "", line).split())
        for line in re.findall(r"<li class=.*?</li>", page, re.S)
    ]
    assert lines[0].startswith("Helpline: Welcome to the second opinion information line.")
    pressed = [line for line in lines if line.startswith("You press:")]
    assert pressed == ["You press: 2", "You press: 1", "You press: 0"]
    assert "(silence)" in lines
    assert "Transfer: Now ringing the nurse line (busy)." in lines
    assert lines[-1] == "You hang up: the keys to press ran out."
    # The form keeps what was asked, so the page can be changed and sent again.
    assert 'value="2 1 . 0"' in page
    assert 'value="busy" checked' in page


SCRIPT = Path(__file__).resolve().parent.parent / "ivr" / "practice" / "static" / "phone.js"


def test_the_script_writes_its_lines_with_the_servers_own(dev_app: Flask) -> None:
    """The page's config holds the server's transcript lines, and the script writes every line
    with one of them, by id: a call with JavaScript reads as one shown without it."""
    page = dev_app.test_client().get("/phone").get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="phone-config">(.*?)</script>', page)
    assert found is not None
    config = json.loads(found.group(1))
    assert config["lines"] == {key: list(line) for key, line in PAGE_LINES.items()}
    # Only plain {field}s, which the script fills as str.format_map does.
    assert all(re.fullmatch(r"(?:[^{}]|\{\w+\})*", f.who + f.text) for f in PAGE_LINES.values())
    script = SCRIPT.read_text()
    used = set(re.findall(r"\bline\(\"([\w-]+)\"", script))
    assert used and used <= set(PAGE_LINES)
    # A transfer's outcome names its own line ("busy", "no-answer", "failed").
    assert set(DIAL_OUTCOMES) - {"answered", "declined"} <= set(PAGE_LINES)
    # Every other line goes through lineOf: none is written out in the script.
    assert re.findall(r"(?<!function )addLine\((?!\.\.\.lineOf\()", script) == []


def test_without_javascript_a_start_code_starts_there(dev_app: Flask) -> None:
    """Without JavaScript a start code starts the call at that part, and stays chosen."""
    page = transcript(dev_app.test_client(), {"start": "21", "keys": "1"})
    assert "Question 1. Are you unsure about the diagnosis?" in page
    assert "Question 2." in page
    assert '<option value="21" selected>' in page


def test_a_practice_call_is_journalled_like_any_other(dev_app: Flask) -> None:
    """The webhooks, not the page, keep the journal: a call from the phone is in it."""
    client = dev_app.test_client()
    sid = new_sid(client)
    bridge(client, {"url": f"{BASE}/voice/incoming", "callSid": sid, "first": True})
    body = {
        "url": f"{BASE}/voice/status",
        "callSid": sid,
        "inputs": {"CallStatus": "completed", "CallDuration": "12"},
    }
    assert bridge(client, body).json["status"] == 200
    store = dev_app.extensions["ivr"].store
    store.flush()
    [call] = recent_calls(store.engine, 10)
    assert (call.call_sid, call.status, call.duration_seconds) == (sid, "completed", 12)


def echoing(app: Flask) -> Flask:
    """The helpline with one more webhook that answers the parameters it was sent, once their
    signature checks out: to see exactly what the bridge sends."""

    def echo() -> Response:
        signature = request.headers.get("X-Twilio-Signature", "")
        form = request.form.to_dict()
        if not RequestValidator(ENV["TWILIO_AUTH_TOKEN"]).validate(request.url, form, signature):
            return Response("unsigned", status=403)
        return Response(json.dumps(form), mimetype="text/xml")

    app.add_url_rule("/voice/echo", "echo", csrf.exempt(echo), methods=["POST"])  # as Twilio's
    return app


def test_the_bridge_sends_a_queues_figures_and_a_recording_as_twilio_does(dev_app: Flask) -> None:
    """Queue figures and a recording go through signed; the recording's URL is always the
    stand-in clip on this server, and its status callback carries only the ids."""
    client = echoing(dev_app).test_client()
    sid = new_sid(client)
    queue = {
        "QueueSid": "QU" + "a" * 32,
        "QueuePosition": "2",
        "QueueTime": "95",
        "AvgQueueTime": "120",
        "CurrentQueueSize": "2",
        "QueueResult": "leave",
    }
    body = {"url": f"{BASE}/voice/echo", "callSid": sid, "inputs": queue}
    sent = json.loads(bridge(client, body).json["twiml"])
    assert {k: sent[k] for k in queue} == queue and sent["CallSid"] == sid
    recording = {"RecordingSid": "RE" + "b" * 32, "RecordingDuration": "7"}
    url = f"{ENV['PUBLIC_BASE_URL']}/phone/stand-in-recording/RE{'b' * 32}"  # the public address
    body = {"url": f"{BASE}/voice/echo", "callSid": sid, "inputs": {**recording, "Digits": "#"}}
    sent = json.loads(bridge(client, body).json["twiml"])
    assert (sent["RecordingUrl"], sent["Digits"], sent["From"]) == (url, "#", DEFAULT_CALLER)
    body = {"url": f"{BASE}/voice/echo", "callSid": sid, "leg": "recording", "inputs": recording}
    assert json.loads(bridge(client, body).json["twiml"]) == {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": sid,
        "RecordingSid": "RE" + "b" * 32,
        "RecordingUrl": url,
        "RecordingDuration": "7",
        "RecordingStatus": "completed",
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
    }


@pytest.mark.parametrize(
    ("inputs", "why"),
    [
        ({"RecordingUrl": "https://attacker.example/x"}, "inputs may only hold"),
        ({"QueuePosition": "two"}, "not in Twilio's form: QueuePosition"),
        ({"RecordingSid": "RE123", "QueueResult": "bridged"}, "QueueResult, RecordingSid"),
    ],
)
def test_the_bridge_refuses_inputs_not_in_twilios_form(
    dev_app: Flask, inputs: dict[str, str], why: str
) -> None:
    """A recording's URL is the bridge's to give, and every input must have Twilio's form."""
    client = dev_app.test_client()
    body = {"url": f"{BASE}/voice/incoming", "callSid": new_sid(client), "inputs": inputs}
    answer = bridge(client, body)
    assert answer.status_code == 400 and why in answer.json["error"]


def test_the_stand_in_recording_plays_for_any_practice_recording(dev_app: Flask) -> None:
    """Every practice RecordingUrl plays the same short clip, with or without ".wav"; nothing
    else is served there."""
    client = dev_app.test_client()
    sid = "RE" + "c" * 32
    for path in (sid, sid + ".wav"):
        answer = client.get(f"/phone/stand-in-recording/{path}")
        assert answer.status_code == 200 and answer.mimetype == "audio/wav"
        with wave.open(io.BytesIO(answer.data)) as clip:
            assert clip.getnframes() / clip.getframerate() == 1.0
    assert client.get("/phone/stand-in-recording/RE1.mp3").status_code == 404


def test_without_javascript_a_queue_place_is_kept(dev_app: Flask) -> None:
    """The place on joining a queue is a call option: the form keeps it, or its default."""
    assert '<option value="4" selected>' in transcript(dev_app.test_client(), {"place": "4"})
    page = transcript(dev_app.test_client(), {"place": "99"})
    assert '<option value="1" selected>' in page
