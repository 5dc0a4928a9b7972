"""Tests for ivr.practice.phone against a small stand-in helpline defined here."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from ivr.practice.phone import Phone, Transcript, parse_keys
from tests.conftest import served

TOKEN = "stand-in-auth-token"
XML = '<?xml version="1.0" encoding="UTF-8"?>'


def twiml(body: str) -> Response:
    """Answer TwiML the way a helpline should."""
    return Response(f"{XML}<Response>{body}</Response>", mimetype="text/xml")


def make_app(token: str | None = None) -> Flask:
    """A stand-in helpline; with a token it answers 403 to requests Twilio did not sign."""
    app = Flask(__name__)
    app.config["STATUS"] = []

    @app.before_request
    def check_signature() -> None:
        if token is None:
            return
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(token).validate(request.url, request.form.to_dict(), signature):
            abort(403)

    @app.post("/voice/incoming")
    def incoming() -> Response:
        again = "<Say>Sorry, I did not catch that.</Say>" if request.args.get("again") else ""
        return twiml(
            f"{again}<Say>Welcome to the <prosody rate='90%'>second\n   opinion</prosody>"
            " line.</Say>"
            '<Gather action="menu?from=incoming" numDigits="1" timeout="8" input="dtmf speech"'
            ' language="en-GB" hints="nurse, information">'
            "<Say>Press 1 for information or 2 for a nurse.</Say><Pause length='1'/></Gather>"
            "<Redirect>incoming?again=1</Redirect>"
        )

    @app.post("/voice/menu")
    def menu() -> Response:
        choice = request.form.get("Digits") or request.form.get("SpeechResult", "")
        if choice == "1":
            return twiml("<Say>Here is some information.</Say><Hangup/>")
        if choice in ("2", "nurse"):
            return twiml('<Redirect method="POST">/voice/dial</Redirect>')
        return twiml(f"<Say>You chose {choice}.</Say><Hangup/>")

    @app.post("/voice/dial")
    def dial() -> Response:
        return twiml(
            '<Say>Putting you through.</Say><Dial action="/voice/dial-done" timeout="20"'
            ' callerId="+441632960000"><Number url="whisper">+441632960999</Number></Dial>'
        )

    @app.post("/voice/dial-done")
    def dial_done() -> Response:
        return twiml(f"<Say>Dial status {request.form['DialCallStatus']}.</Say><Hangup/>")

    @app.post("/voice/whisper")
    def whisper() -> Response:
        return twiml(f"<Say>A caller from {request.form['ParentCallSid'][:2]}.</Say>")

    @app.post("/voice/dial-no-action")
    def dial_no_action() -> Response:
        return twiml("<Dial>+441632960999</Dial><Say>Nobody could answer.</Say><Hangup/>")

    @app.post("/voice/dtmf-only")
    def dtmf_only() -> Response:
        return twiml('<Gather action="/voice/menu"><Say>Enter digits then hash.</Say></Gather>')

    @app.post("/voice/ask-get")
    def ask_get() -> Response:
        return twiml('<Gather action="/voice/got?x=1" method="GET" numDigits="2"/>')

    @app.get("/voice/got")
    def got() -> Response:
        return twiml(f"<Say>Got {request.args['Digits']} and {request.args['x']}.</Say><Hangup/>")

    @app.post("/voice/fall")
    def fall() -> Response:
        return twiml("<Say>Goodbye, maybe.</Say>")

    @app.post("/voice/loop")
    def loop() -> Response:
        return twiml("<Redirect>/voice/loop</Redirect>")

    @app.post("/voice/boom")
    def boom() -> Response:
        return Response("kaput", status=500)

    @app.post("/voice/html")
    def html() -> Response:
        return Response("<html>hello</html>", mimetype="text/html")

    @app.post("/voice/space")
    def space() -> Response:
        return Response(f"\n{XML}<Response><Hangup/></Response>", mimetype="text/xml")

    @app.post("/voice/connect")
    def connect() -> Response:
        return twiml("<Connect><Stream url='wss://example.org/'/></Connect>")

    @app.post("/voice/reject")
    def reject() -> Response:
        return twiml('<Reject reason="busy"/>')

    @app.post("/voice/status")
    def status() -> Response:
        app.config["STATUS"].append(request.form.to_dict())
        return Response("", status=200)

    return app


@pytest.fixture
def app() -> Flask:
    return make_app()


def posted(transcript: Transcript, path: str) -> list[dict[str, str]]:
    """The parameters of every request made to `path` (ignoring the query string)."""
    return [r.params for r in transcript.requests if r.url.split("?")[0].endswith(path)]


def test_parse_keys_splits_like_a_shell() -> None:
    """A quoted phrase stays one token and "." stays a silence token."""
    assert parse_keys('2 1 . "talk to a nurse" 0 ""') == ["2", "1", ".", "talk to a nurse", "0", ""]


def test_keys_go_to_the_gather_action_with_twilio_params(app: Flask) -> None:
    """Pressed keys reach the Gather's relative action as Digits, with Twilio's usual params."""
    t = Phone(app).call(["1"])
    assert t.heard() == [
        "Welcome to the second opinion line.",
        "Press 1 for information or 2 for a nurse.",
        "Here is some information.",
    ]
    assert [r.url for r in t.requests] == [
        "http://localhost/voice/incoming",
        "http://localhost/voice/menu?from=incoming",
        "http://localhost/voice/status",
    ]
    first, second = t.requests[0].params, t.requests[1].params
    assert re.fullmatch(r"CA[0-9a-f]{32}", first["CallSid"]) and first["CallSid"] == t.call_sid
    assert re.fullmatch(r"AC[0-9a-f]{32}", first["AccountSid"])
    assert (first["From"], first["To"]) == ("+441632960001", "+441632960000")
    assert (first["CallStatus"], second["CallStatus"]) == ("ringing", "in-progress")
    assert (first["Direction"], first["ApiVersion"]) == ("inbound", "2010-04-01")
    assert second["Digits"] == "1" and second["CallSid"] == first["CallSid"]
    assert t.requests[1].status == 200 and t.requests[1].body.startswith("<?xml")
    assert t.ended_by == "hangup" and t.errors() == []


def test_gather_attributes_are_recorded(app: Flask) -> None:
    """The gather event carries the Gather's attributes and its resolved action."""
    (gather,) = Phone(app).call(["1"]).of_kind("gather")
    assert gather.attrs["numDigits"] == "1" and gather.attrs["timeout"] == "8"
    assert gather.attrs["input"] == "dtmf speech" and gather.attrs["language"] == "en-GB"
    assert gather.attrs["hints"] == "nurse, information"
    assert gather.url == "http://localhost/voice/menu?from=incoming"


def test_silence_falls_through_to_the_redirect(app: Flask) -> None:
    """Silence lets the Gather time out so the Redirect after it runs."""
    t = Phone(app).call([".", "1"])
    assert t.kinds()[:8] == [
        "request",
        "say",
        "say",
        "pause",
        "gather",
        "silence",
        "redirect",
        "request",
    ]
    assert t.requests[1].url == "http://localhost/voice/incoming?again=1"
    assert "Digits" not in t.requests[1].params
    assert "Sorry, I did not catch that." in t.heard()
    assert t.ended_by == "hangup"


def test_speech_goes_as_speech_result(app: Flask) -> None:
    """Words go to the action as SpeechResult with a confidence, and can lead to a Dial."""
    t = Phone(app).call(["nurse"])
    params = posted(t, "/voice/menu")[0]
    assert params["SpeechResult"] == "nurse" and params["Confidence"] == "0.9"
    assert "Digits" not in params
    assert t.of_kind("dial")[0].text == "+441632960999"


def test_speech_is_refused_where_only_keys_are_accepted(app: Flask) -> None:
    """Words at a keys-only Gather are an error and the Gather times out instead."""
    t = Phone(app).call(["nurse"], path="/voice/dtmf-only")
    assert [e.text for e in t.errors()] == ["speech not accepted here (input=dtmf): 'nurse'"]
    assert t.ended_by == "fell-off-end"


def test_finish_key_alone_counts_as_no_input(app: Flask) -> None:
    """Pressing only the finishOnKey sends nothing, and digits stop at the finishOnKey."""
    assert Phone(app).call(["#"], path="/voice/dtmf-only").ended_by == "fell-off-end"
    t = Phone(app).call(["42#7"], path="/voice/dtmf-only")
    assert posted(t, "/voice/menu")[0]["Digits"] == "42"
    assert t.heard()[-1] == "You chose 42."


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("answered", "completed"), ("busy", "busy"), ("no-answer", "no-answer"), ("failed", "failed")],
)
def test_dial_outcome_reaches_the_action(app: Flask, outcome: str, status: str) -> None:
    """Each dial outcome reaches the Dial's action as the matching DialCallStatus."""
    t = Phone(app, dial_outcome=outcome).call(["2"])
    (params,) = posted(t, "/voice/dial-done")
    assert params["DialCallStatus"] == status
    assert re.fullmatch(r"CA[0-9a-f]{32}", params["DialCallSid"])
    assert params.get("DialCallDuration") == ("60" if outcome == "answered" else None)
    (dial,) = t.of_kind("dial")
    assert dial.attrs["timeout"] == "20" and dial.attrs["callerId"] == "+441632960000"
    assert dial.attrs["whisper"] == "http://localhost/voice/whisper"
    assert t.heard()[-1] == f"Dial status {status}."
    assert len(t.of_kind("whisper")) == (1 if outcome == "answered" else 0)


def test_whisper_is_fetched_for_the_person_answering(app: Flask) -> None:
    """An answered Number url is requested as Twilio's child call, and not heard by the caller."""
    t = Phone(app).call(["2"])
    (params,) = posted(t, "/voice/whisper")
    assert params["ParentCallSid"] == t.call_sid and params["To"] == "+441632960999"
    assert t.of_kind("whisper")[0].text == "A caller from CA."
    assert "A caller from CA." not in t.heard()


def test_dial_without_action(app: Flask) -> None:
    """Without an action an answered Dial ends the call and an unanswered one goes on."""
    answered = Phone(app).call([], path="/voice/dial-no-action")
    assert answered.ended_by == "dial-answered" and answered.heard() == []
    busy = Phone(app, dial_outcome="busy").call([], path="/voice/dial-no-action")
    assert busy.heard() == ["Nobody could answer."] and busy.ended_by == "hangup"


def test_dial_outcomes_are_used_in_order(app: Flask) -> None:
    """A list of outcomes serves successive Dials, keeping the last for any more."""
    phone = Phone(app, dial_outcome=["busy", "answered"])
    t = phone.call(["2"])
    assert t.heard()[-1] == "Dial status busy."
    assert phone.call(["2"]).heard()[-1] == "Dial status busy."  # each call starts afresh
    with pytest.raises(ValueError):
        Phone(app, dial_outcome="voicemail")


def test_falling_off_the_end_is_recorded(app: Flask) -> None:
    """A document without Hangup ends the call with a fell-off-end event."""
    t = Phone(app).call([], path="/voice/fall")
    (fell,) = t.of_kind("fell-off-end")
    assert fell.text == "after <Say>" and fell.url == "http://localhost/voice/fall"
    assert t.ended_by == "fell-off-end" and t.errors() == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/voice/boom", "HTTP 500, text/html; charset=utf-8: 'kaput'"),
        ("/voice/html", "HTTP 200, text/html"),
        ("/voice/space", "HTTP 200, text/xml; charset=utf-8: '\\n<?xml"),
    ],
)
def test_bad_answers_are_errors(app: Flask, path: str, expected: str) -> None:
    """A 500, a non-XML answer or whitespace before <?xml is an error that ends the call."""
    t = Phone(app).call(["1"], path=path)
    (error,) = t.errors()
    assert expected in error.text
    assert t.ended_by == "error" and t.of_kind("gather") == []


def test_unsupported_verb_is_an_error(app: Flask) -> None:
    """A verb the phone does not know ends the call with an error."""
    t = Phone(app).call([], path="/voice/connect")
    assert [e.text for e in t.errors()] == ["unsupported verb <Connect>"]


def test_reject_ends_the_call_as_busy(app: Flask) -> None:
    """Reject ends the call and the status callback reports busy."""
    t = Phone(app).call([], path="/voice/reject")
    assert t.ended_by == "reject"
    assert app.config["STATUS"][-1]["CallStatus"] == "busy"


def test_redirect_loop_is_stopped(app: Flask) -> None:
    """Too many Redirects in a row without a Gather is stopped as a loop."""
    t = Phone(app, max_redirects=5).call([], path="/voice/loop")
    assert t.kinds().count("redirect") == 5
    assert t.errors()[0].text == "more than 5 Redirects without a Gather"
    assert t.ended_by == "error"


def test_request_limit_is_enforced(app: Flask) -> None:
    """The phone stops after its maximum number of requests."""
    t = Phone(app, max_requests=3, max_redirects=100).call([], path="/voice/loop")
    assert t.errors()[0].text == "stopped after 3 requests"
    assert len(t.requests) == 4  # three webhooks and the status callback


def test_status_callback_is_posted_when_the_caller_hangs_up(app: Flask) -> None:
    """When the script runs out at a Gather the caller hangs up and the status is posted."""
    t = Phone(app).call(["."])
    assert t.kinds()[-4:] == ["gather", "caller-hung-up", "end", "request"]
    (status,) = app.config["STATUS"]
    assert status["CallStatus"] == "completed" and int(status["CallDuration"]) > 8
    assert status["CallSid"] == t.call_sid and t.ended_by == "caller-hung-up"


def test_signed_requests_pass_validation() -> None:
    """Requests signed with the right token pass Twilio's RequestValidator."""
    t = Phone(make_app(TOKEN), auth_token=TOKEN).call(["2"])
    assert t.errors() == [] and t.heard()[-1] == "Dial status completed."
    assert all(r.status == 200 for r in t.requests)


def test_gather_method_get_sends_signed_query_parameters() -> None:
    """A Gather with method GET sends its parameters in the signed query string."""
    t = Phone(make_app(TOKEN), auth_token=TOKEN).call(["123"], path="/voice/ask-get")
    assert t.errors() == [] and t.heard() == ["Got 12 and 1."]
    assert t.requests[1].method == "GET" and "Digits=12" in t.requests[1].url


def test_wrong_token_gets_403() -> None:
    """Requests signed with a wrong token are refused with a 403 error event."""
    t = Phone(make_app(TOKEN), auth_token="wrong").call(["1"])
    assert t.errors()[0].attrs["status"] == "403"
    assert Phone(make_app(TOKEN)).call(["1"]).errors()[0].attrs["status"] == "403"


def test_interactive_call_prints_as_it_goes(app: Flask) -> None:
    """An input function answers each Gather and the printer shows what the caller hears."""
    answers = iter(["", "2"])
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    lines: list[str] = []
    t = Phone(app, printer=lines.append).call(input_fn=ask)
    assert len(prompts) == 2
    assert lines == t.text().splitlines()
    assert "Helpline: Welcome to the second opinion line." in lines
    assert "  [menu waits 8 s for 1 key or words]" in lines
    assert "  (silence)" in lines and "You press: 2" in lines
    assert "Ringing +441632960999 (answered)" in lines
    assert lines[-1] == "Call ended."
    quit_t = Phone(app).call(input_fn=lambda prompt: "q")
    assert quit_t.ended_by == "caller-hung-up"


def test_a_string_script_is_parsed() -> None:
    """A script given as one string is split into tokens rather than characters."""
    t = Phone(make_app()).call('"talk to me"')
    assert posted(t, "/voice/menu")[0]["SpeechResult"] == "talk to me"


@pytest.fixture
def server() -> Iterator[str]:
    """The stand-in helpline, signed requests required, served over HTTP on a free port."""
    with served(make_app(TOKEN)) as base:
        yield base


def test_over_http(server: str) -> None:
    """Over HTTP the same call is signed, followed and transcribed as in-process."""
    t = Phone(server + "/", auth_token=TOKEN, dial_outcome="no-answer").call(". 2")
    assert t.errors() == []
    assert t.requests[0].url == f"{server}/voice/incoming"
    assert t.requests[-1].url == f"{server}/voice/status"
    assert t.heard()[-1] == "Dial status no-answer."
    wrong = Phone(server, auth_token="wrong").call(["1"])
    assert wrong.errors()[0].attrs["status"] == "403"


def test_unreachable_server_is_an_error() -> None:
    """A server that cannot be reached is recorded as an error, not raised."""
    httpd = make_server("127.0.0.1", 0, make_app())
    port = httpd.server_port
    httpd.server_close()  # nothing listens on the port now
    t = Phone(f"http://127.0.0.1:{port}", http_timeout=2).call([])
    assert t.errors()[0].attrs["status"] == "0" and t.ended_by == "error"
