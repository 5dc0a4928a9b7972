"""The practice phone playing a team of nurses, a queue and a voicemail, against literal TwiML.

The helpline here is a stand-in written for these tests: fixed documents in the shapes the
helpline answers with (a <Dial> of several <Number>s, <Enqueue> with its wait documents, <Record>),
checking every request's signature, so the phone is tested as Twilio's stand-in, alone.
"""

from __future__ import annotations

import re
import time

import pytest
from flask import Blueprint, Flask, Response, abort, request
from twilio.request_validator import RequestValidator

from ivr.practice.phone import Phone, Transcript

TOKEN = "stand-in-auth-token"
XML = '<?xml version="1.0" encoding="UTF-8"?>'
NURSES = ("+441632960101", "+441632960102")
LEAVE_AFTER = 11 * 60  # the stand-in finds a nurse free after 11 minutes in the queue


def twiml(body: str) -> Response:
    return Response(f"{XML}<Response>{body}</Response>", mimetype="text/xml")


def stand_in(prefix: str = "/voice") -> Blueprint:
    """The stand-in helpline's documents, at `prefix`: a team of two nurses rung at once, a
    queue that announces the place once a minute and takes 1 for a call back, and a voicemail."""
    bp = Blueprint(f"stand_in{prefix.replace('/', '_')}", __name__, url_prefix=prefix)
    told: dict[str, set[int]] = {}
    p = prefix

    @bp.post("/team")
    def team() -> Response:
        numbers = "".join(
            f'<Number url="{p}/whisper?w=n:{i}" statusCallback="{p}/nurse/status?w=n:{i}"'
            f' statusCallbackEvent="completed">{number}</Number>'
            for i, number in enumerate(NURSES, 1)
        )
        return twiml(
            f'<Dial action="{p}/dialled" timeout="20" answerOnBridge="true">{numbers}</Dial>'
        )

    @bp.post("/whisper")
    def whisper() -> Response:
        return twiml(
            f'<Gather numDigits="1" timeout="5" action="{p}/whisper/take">'
            "<Say>A caller. To take the call, press 1.</Say></Gather>"
            "<Say>Not taken.</Say><Hangup/>"
        )

    @bp.post("/whisper/take")
    def take() -> Response:
        return twiml("")

    @bp.post("/dialled")
    def dialled() -> Response:
        form = request.form
        return twiml(f"<Say>{form['DialCallStatus']} {form.get('DialBridged')}.</Say><Hangup/>")

    @bp.post("/nurse/status")
    def nurse_status() -> Response:
        return Response(status=204)

    @bp.post("/busy")
    def busy() -> Response:
        return twiml(
            "<Say>Every nurse is busy.</Say>"
            f'<Enqueue action="{p}/queue/left" method="POST"'
            f' waitUrl="{p}/queue/{request.args.get("wait", "wait")}" waitUrlMethod="POST">'
            "nurses</Enqueue><Say>After the queue.</Say><Hangup/>"
        )

    @bp.post("/queue/wait")
    def wait() -> Response:
        form = request.form
        waited = int(form["QueueTime"])
        if waited >= LEAVE_AFTER:
            return twiml("<Leave/>")
        minutes = told.setdefault(form["CallSid"], set())
        said = ""
        if waited // 60 not in minutes:
            minutes.add(waited // 60)
            said = f"<Say>You are number {form['QueuePosition']} in the queue.</Say>"
            if waited >= 600:
                said += "<Say>You have waited 10 minutes. Press 1 for a call back.</Say>"
        return twiml(
            f'<Gather input="dtmf" numDigits="1" timeout="1" action="{p}/queue/key">'
            f'{said}<Pause length="15"/></Gather>'
        )

    @bp.post("/queue/key")
    def key() -> Response:
        if request.form.get("Digits") == "1":
            return twiml("<Say>Leaving the queue for a call back.</Say><Leave/>")
        return twiml("<Say>That key does nothing here.</Say>")

    @bp.post("/queue/left")
    def left() -> Response:
        form = request.form
        said = f"Left: {form['QueueResult']} after {form['QueueTime']} s."
        return twiml(f"<Say>{said}</Say><Hangup/>")

    @bp.post("/queue/forever")
    def forever() -> Response:
        return twiml('<Pause length="15"/>')

    @bp.post("/queue/broken")
    def broken() -> Response:
        return Response("kaput", status=500)

    @bp.post("/queue/dial")
    def dial_in_wait() -> Response:
        return twiml("<Dial>+441632960101</Dial>")

    @bp.post("/voicemail")
    def voicemail() -> Response:
        return twiml(
            "<Say>Your message is kept for 30 days.</Say>"
            f'<Record action="{p}/voicemail/saved" method="POST" maxLength="120"'
            ' finishOnKey="#" playBeep="true" timeout="10"'
            f' recordingStatusCallback="{p}/voicemail/recording"'
            ' recordingStatusCallbackMethod="POST" recordingStatusCallbackEvent="completed"/>'
            f"<Redirect>{p}/voicemail/saved</Redirect>"
        )

    @bp.post("/voicemail/saved")
    def saved() -> Response:
        seconds = request.form.get("RecordingDuration")
        said = f"Saved {seconds} seconds." if seconds else "No message."
        return twiml(f"<Say>{said}</Say><Hangup/>")

    @bp.post("/voicemail/recording")
    def recording() -> Response:
        return Response("", status=200)

    return bp


def make_app() -> Flask:
    """The stand-in helpline: every request must be signed with TOKEN, and each is kept."""
    app = Flask(__name__)

    @app.before_request
    def check_signature() -> None:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(request.url, request.form.to_dict(), signature):
            abort(403)

    @app.post("/voice/status")
    def status() -> Response:
        return Response("", status=200)

    app.register_blueprint(stand_in())
    return app


@pytest.fixture
def app() -> Flask:
    return make_app()


def sent(t: Transcript, path: str) -> list[dict[str, str]]:
    """The parameters of every request made to `path` (ignoring the query string)."""
    return [r.params for r in t.requests if r.url.split("?")[0].endswith(path)]


def paths(t: Transcript) -> list[str]:
    """The path of every request, in order."""
    return [r.url.removeprefix("http://localhost").split("?")[0] for r in t.requests]


# --- a team of nurses --------------------------------------------------------------------


def test_the_first_number_answers_and_takes_the_call_and_each_leg_is_reported(app: Flask) -> None:
    """Answered: the first nurse's whisper takes 1, the other leg is cancelled, and both legs'
    status callbacks are posted, signed, with each leg's own parameters, before the action."""
    t = Phone(app, TOKEN).call([], path="/voice/team")
    assert t.errors() == []
    assert paths(t) == [
        "/voice/team",
        "/voice/whisper",
        "/voice/whisper/take",
        "/voice/nurse/status",
        "/voice/nurse/status",
        "/voice/dialled",
        "/voice/status",
    ]
    first, second = sent(t, "/voice/nurse/status")
    (action,) = sent(t, "/voice/dialled")
    assert [first["CallStatus"], second["CallStatus"]] == ["completed", "canceled"]
    assert [first["CallDuration"], second["CallDuration"]] == ["60", "0"]
    assert (first["To"], second["To"]) == NURSES
    assert first["CallSid"] == action["DialCallSid"] != second["CallSid"]
    assert {first["ParentCallSid"], second["ParentCallSid"]} == {t.call_sid}
    assert {first["Direction"], second["Direction"]} == {"outbound-dial"}
    assert [r.url.split("?")[1] for r in t.requests if "/nurse/status" in r.url] == [
        "w=n:1",
        "w=n:2",
    ]
    assert t.heard() == ["completed true."]
    assert t.of_kind("dial")[0].text == ", ".join(NURSES)


@pytest.mark.parametrize(
    ("outcome", "legs", "heard"),
    [
        ("declined", ["completed", "canceled"], "completed false."),
        ("no-answer", ["no-answer", "no-answer"], "no-answer None."),
        ("busy", ["busy", "busy"], "busy None."),
    ],
)
def test_when_the_first_number_does_not_take_the_call_the_action_hears_so(
    app: Flask, outcome: str, legs: list[str], heard: str
) -> None:
    """Not taken, no answer or busy: every leg still ends with its status callback, and the
    Dial's action is told, so the helpline can try the others itself."""
    t = Phone(app, TOKEN, dial_outcome=outcome).call([], path="/voice/team")
    assert [p["CallStatus"] for p in sent(t, "/voice/nurse/status")] == legs
    assert t.heard() == [heard] and t.errors() == []
    assert len(sent(t, "/voice/whisper/take")) == 0


# --- the queue -----------------------------------------------------------------------------


def test_a_caller_hears_their_place_move_up_and_leaves_for_a_call_back(app: Flask) -> None:
    """Two simulated minutes of silence, then 1: the place is told once a minute as the caller
    moves up, the key goes to the wait Gather's action, and <Leave/> asks the queue's action."""
    began = time.monotonic()
    t = Phone(app, TOKEN, queue_place=3).call([".2m", "1"], path="/voice/busy")
    assert time.monotonic() - began < 5  # the pauses were counted, not slept
    assert t.errors() == []
    assert t.heard() == [
        "Every nurse is busy.",
        "You are number 3 in the queue.",
        "You are number 2 in the queue.",
        "You are number 1 in the queue.",
        "Leaving the queue for a call back.",
        "Left: leave after 158 s.",
    ]
    waits = sent(t, "/voice/queue/wait")
    assert [w["QueuePosition"] for w in waits] == ["3"] * 4 + ["2"] * 4 + ["1"]
    assert [int(w["QueueTime"]) for w in waits] == [0, 19, 35, 51, 67, 87, 103, 119, 135]
    assert {w["AvgQueueTime"] for w in waits} == {"180"}
    assert len({w["QueueSid"] for w in waits}) == 1 and waits[0]["QueueSid"].startswith("QU")
    (key,) = sent(t, "/voice/queue/key")
    assert (key["Digits"], key["QueuePosition"], key["QueueTime"]) == ("1", "1", "154")
    (left,) = sent(t, "/voice/queue/left")
    assert (left["QueueResult"], left["QueueSid"]) == ("leave", waits[0]["QueueSid"])
    assert [e.line() for e in t.of_kind("queue", "wait", "queue-left")] == [
        "You join the queue nurses at place 3.",
        "  (queue: place 3, waited 0 s)",
        "  (queue: place 2, waited 1 min)",
        "  (queue: place 1, waited 2 min)",
        "Out of the queue after 2 min (leave).",
    ]


def test_eleven_minutes_in_the_queue_pass_at_once(app: Flask) -> None:
    """A caller silent for 11 simulated minutes hears the limit's call-back offer once, and is
    let go when the stand-in finds a nurse free, with the time waited in QueueTime."""
    began = time.monotonic()
    t = Phone(app, TOKEN, queue_place=2).call([".11m"], path="/voice/busy")
    assert time.monotonic() - began < 10
    assert t.heard().count("You have waited 10 minutes. Press 1 for a call back.") == 1
    assert t.heard().count("You are number 1 in the queue.") == 10
    (left,) = sent(t, "/voice/queue/left")
    assert left["QueueResult"] == "leave" and int(left["QueueTime"]) >= LEAVE_AFTER
    assert t.heard()[-1] == f"Left: leave after {left['QueueTime']} s."
    assert t.ended_by == "hangup" and t.errors() == []


def test_hanging_up_in_the_queue_tells_the_queues_action_then_the_status(app: Flask) -> None:
    """When the caller hangs up while waiting, the queue's action hears QueueResult=hangup, and
    then the call's status callback is posted."""
    t = Phone(app, TOKEN).call(["."], path="/voice/busy")
    assert paths(t)[-3:] == ["/voice/queue/wait", "/voice/queue/left", "/voice/status"]
    assert sent(t, "/voice/queue/left")[0]["QueueResult"] == "hangup"
    assert t.ended_by == "caller-hung-up" and "Left: hangup" not in " ".join(t.heard())


def test_a_wait_that_never_ends_is_stopped_with_a_clear_line(app: Flask) -> None:
    """Wait documents that never ask for a key nor leave are stopped after `max_wait_turns`."""
    t = Phone(app, TOKEN, max_wait_turns=10).call([], path="/voice/busy?wait=forever")
    assert [e.line() for e in t.errors()] == [
        "  !! ERROR: still waiting after 10 turns of the wait: stopped"
    ]
    assert len(sent(t, "/voice/queue/forever")) == 10
    assert sent(t, "/voice/queue/left")[0]["QueueResult"] == "hangup"
    assert t.ended_by == "error"


def test_a_failing_wait_url_leaves_the_queue_with_an_error(app: Flask) -> None:
    """A wait URL that fails is an error; as on Twilio, the queue's action is asked with
    QueueResult=error and the call goes on with its answer."""
    t = Phone(app, TOKEN).call([], path="/voice/busy?wait=broken")
    assert "HTTP 500" in t.errors()[0].text
    assert t.heard()[-1] == "Left: error after 0 s."


def test_a_verb_a_wait_cannot_hold_is_an_error(app: Flask) -> None:
    """A <Dial> in a wait document ends the call with an error that names it."""
    t = Phone(app, TOKEN).call([], path="/voice/busy?wait=dial")
    assert [e.text for e in t.errors()] == ["<Dial> cannot be used while waiting in a queue"]


def test_without_an_action_the_document_goes_on_after_the_queue() -> None:
    """An <Enqueue> with no action goes on to the verb after it once the caller leaves."""
    app = Flask(__name__)

    @app.post("/voice/in")
    def enqueue() -> Response:
        return twiml('<Enqueue waitUrl="/voice/out">q</Enqueue><Say>Onwards.</Say><Hangup/>')

    @app.post("/voice/out")
    def out() -> Response:
        return twiml("<Leave/>")

    t = Phone(app, status_path=None).call([], path="/voice/in")
    assert t.heard() == ["Onwards."] and t.errors() == []


# --- voicemail -------------------------------------------------------------------------------


def test_a_spoken_message_is_a_stand_in_clip_told_to_the_action_then_the_callback(
    app: Flask,
) -> None:
    """Words at a <Record> are a message that long: the action hears the stand-in recording
    and the # that ended it, then the signed recording status callback says it is complete."""
    t = Phone(app, TOKEN).call(["I would like a call back please"], path="/voice/voicemail")
    assert paths(t) == [
        "/voice/voicemail",
        "/voice/voicemail/saved",
        "/voice/voicemail/recording",
        "/voice/status",
    ]
    (saved,) = sent(t, "/voice/voicemail/saved")
    (done,) = sent(t, "/voice/voicemail/recording")
    sid = saved["RecordingSid"]
    assert re.fullmatch(r"RE[0-9a-f]{32}", sid)
    assert saved["RecordingUrl"] == f"http://localhost/phone/stand-in-recording/{sid}"
    assert (saved["RecordingDuration"], saved["Digits"]) == ("3", "#")
    assert done == {
        "AccountSid": saved["AccountSid"],
        "CallSid": t.call_sid,
        "RecordingSid": sid,
        "RecordingUrl": saved["RecordingUrl"],
        "RecordingDuration": "3",
        "RecordingStatus": "completed",
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
    }
    assert t.heard() == ["Your message is kept for 30 days.", "Saved 3 seconds."]
    assert [e.line() for e in t.of_kind("record", "recorded")] == [
        "  [recording up to 120 s, # to finish]",
        'You: recorded a 3 s message, then pressed #: "I would like a call back please"',
    ]


def test_a_key_leaves_a_twelve_second_message(app: Flask) -> None:
    """Pressing # at a <Record> leaves the stand-in's twelve seconds, finished with #."""
    t = Phone(app, TOKEN).call(["#"], path="/voice/voicemail")
    assert sent(t, "/voice/voicemail/saved")[0]["RecordingDuration"] == "12"
    assert t.of_kind("recorded")[0].line() == "You: recorded a 12 s message, then pressed #"


def test_silence_records_nothing_and_the_redirect_after_it_is_followed(app: Flask) -> None:
    """Nothing said: no recording, no callback, and the call goes on to the <Redirect>."""
    t = Phone(app, TOKEN).call(["."], path="/voice/voicemail")
    assert paths(t) == ["/voice/voicemail", "/voice/voicemail/saved", "/voice/status"]
    assert "RecordingSid" not in sent(t, "/voice/voicemail/saved")[0]
    assert t.heard()[-1] == "No message."
    assert t.of_kind("not-recorded")[0].line() == "  (nothing recorded: the call goes on)"


def test_hanging_up_at_the_record_sends_only_the_status(app: Flask) -> None:
    """A caller who hangs up at the tone leaves no message: only the call's status follows."""
    t = Phone(app, TOKEN).call([], path="/voice/voicemail")
    assert paths(t) == ["/voice/voicemail", "/voice/status"]
    assert t.ended_by == "caller-hung-up"
