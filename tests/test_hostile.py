"""Hostile requests to the webhooks, as an attack run sent them: each is refused, or answered
with TwiML that keeps the caller safe, and none leaves a caller's number or a forged line in a
log or the journal."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from ivr.practice.phone import Phone
from ivr.webhooks.signature import MAX_BODY_BYTES, MAX_FIELDS
from tests.conftest import CALLER, TOKEN, signed_post

SID = "CA" + "0" * 32
WEBHOOKS = ["/voice/incoming", "/voice/step?n=main", "/voice/dial?n=nurse", "/voice/status"]


@pytest.fixture
def app(
    make_app: Callable[..., Flask], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The helpline with the nurse line closed, on a database of its own."""
    folder = tmp_path_factory.mktemp("hostile")
    built = make_app(NURSE_LINE_HOURS="never", DATABASE_URL=f"sqlite:///{folder}/h.sqlite3")
    yield built
    built.extensions["ivr"].store.close()


def journal(app: Flask) -> list[dict[str, object]]:
    """Every step the journal kept, oldest first."""
    store = app.extensions["ivr"].store
    assert store.flush(5)
    with store.engine.connect() as connection:
        found = connection.execute(sa.text("SELECT * FROM call_events ORDER BY id"))
        return [dict(row._mapping) for row in found]


# ---------------------------------------------------------------- privacy


def test_a_number_keyed_for_a_call_back_is_never_journalled_nor_logged(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """The journal and the log say that a number was keyed, never its digits."""
    with caplog.at_level(logging.INFO, logger="ivr"):
        transcript = Phone(app, auth_token=TOKEN, caller="anonymous").call(
            ["0", "1", "07400123456#", "1"]
        )
    assert transcript.errors() == []
    kept = [str(row["heard"]) for row in journal(app)]
    assert "keys:number" in kept
    for digits in ("07400123456", "7400123456", "400123456"):
        assert not any(digits in h for h in kept)
        assert digits not in caplog.text
    assert "heard=keys:number" in caplog.text


def test_speech_is_journalled_as_a_count_of_words(app: Flask) -> None:
    """What a caller says may be their number or their health: only how many words is kept."""
    status, _, _ = signed_post(
        app.test_client(),
        "/voice/step?n=main",
        {"SpeechResult": "my number is oh seven four oh oh", "CallSid": SID},
    )
    assert status == 200
    assert [row["heard"] for row in journal(app)] == ["speech:8words"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Digits", "1\n2026-11-29 INFO ivr.calls call=CAforged from=main heard=0"),
        ("CallSid", "CA1\r\nWARNING forged"),
        ("SpeechResult", "help\nme"),
        ("DialCallStatus", "busy\n2026 forged"),
    ],
)
def test_control_characters_never_start_a_log_line_of_their_own(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, field: str, value: str
) -> None:
    """A value with a line break is logged escaped (or not at all): no line can be forged."""
    path = "/voice/dial?n=nurse" if field == "DialCallStatus" else "/voice/step?n=main"
    with caplog.at_level(logging.INFO, logger="ivr"):
        status, _, _ = signed_post(client, path, {field: value})
    assert status == 200
    for record in caplog.records:
        assert "\n" not in record.getMessage() and "\r" not in record.getMessage()
    assert "forged" not in "".join(
        r.getMessage() for r in caplog.records if "\\n" not in r.getMessage()
    )


def test_a_path_with_a_line_break_is_escaped_in_the_log(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An unsigned request to a path holding a line break is refused, and logged on one line."""
    with caplog.at_level(logging.WARNING, logger="ivr"):
        assert client.post("/voice/step%0Aforged", data={"CallSid": SID}).status_code == 403
    assert caplog.records
    assert all("\n" not in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- abuse and odd shapes


@pytest.mark.parametrize(
    "sid", ["CA1", "CA" + "0" * 31 + "G", "ca" + "0" * 32, "CA" + "0" * 33, "", "CA" + "²" * 32]
)
def test_a_callsid_of_another_shape_writes_nothing(app: Flask, sid: str) -> None:
    """A re-split of a captured signed request cannot make rows: a CallSid must be Twilio's
    shape (CA and 32 hex digits), and the caller still hears the menu."""
    client = app.test_client()
    for path in WEBHOOKS:
        status, kind, body = signed_post(client, path, {"CallSid": sid, "CallStatus": "completed"})
        assert (status, kind) == (200, "text/xml")
        ET.fromstring(body)
    assert journal(app) == []


@pytest.mark.parametrize("duration", ["²", "-1", "1e9", "99999999999", " 5", "٣"])
def test_a_duration_of_another_shape_is_kept_as_unknown(app: Flask, duration: str) -> None:
    """CallDuration is whole ASCII digits, or not kept: "²" passed str.isdigit() and raised."""
    client = app.test_client()
    assert signed_post(client, "/voice/incoming", {"CallSid": SID})[0] == 200
    status, _, _ = signed_post(
        client,
        "/voice/status",
        {"CallSid": SID, "CallStatus": "completed", "CallDuration": duration},
    )
    assert status == 200
    store = app.extensions["ivr"].store
    assert store.flush(5)
    with store.engine.connect() as connection:
        [(status_kept, kept)] = connection.execute(
            sa.text("SELECT status, duration_seconds FROM calls")
        ).all()
    assert (status_kept, kept) == ("completed", None)


@pytest.mark.parametrize("digits", ["1" * 100, "1\x002", "☎", "12ab", "#1#2#3#4#5#6#7#8#9#0#1#2#3"])
def test_keys_of_another_shape_count_as_a_key_that_is_no_choice(
    client: FlaskClient, digits: str
) -> None:
    """Digits no keypad sends get the answer to a wrong key: sorry, and the menu again."""
    status, kind, body = signed_post(client, "/voice/step?n=main", {"Digits": digits})
    assert (status, kind) == (200, "text/xml")
    assert "n=main" in ET.fromstring(body).find("Redirect").text  # type: ignore[union-attr]
    assert "w=1" in ET.fromstring(body).find("Redirect").text  # type: ignore[union-attr]


def test_an_entry_code_of_another_shape_is_journalled_as_unknown(app: Flask) -> None:
    """/voice/entry/<code> with anything but digits is the unknown-code answer, kept as such."""
    status, _, _ = signed_post(app.test_client(), "/voice/entry/1%0A2", {"CallSid": SID})
    assert status == 200
    assert [row["from_node"] for row in journal(app)] == ["entry:?"]


# ---------------------------------------------------------------- denial of service


def test_an_oversized_body_is_refused_before_its_signature_is_checked(
    client: FlaskClient,
) -> None:
    """A body far beyond any webhook gets 413 at once, signed or not (no 403 after parsing)."""
    body = "CallSid=" + "A" * (MAX_BODY_BYTES + 1)
    response = client.post(
        "/voice/step?n=main",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413


def test_absurd_numbers_of_fields_and_long_urls_are_refused(client: FlaskClient) -> None:
    """Thousands of tiny fields, or a query string no state URL needs, are refused unparsed."""
    many = "&".join(f"f{n}=1" for n in range(MAX_FIELDS + 1))
    response = client.post(
        "/voice/step?n=main", data=many, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert client.post("/voice/step?n=" + "a" * 3000).status_code == 413


def test_a_chunked_body_is_held_to_the_same_limit(client: FlaskClient) -> None:
    """A body sent without a length (chunked, as gunicorn passes it on) is measured as it is
    read, and refused when too big."""
    body = ("CallSid=" + "A" * (MAX_BODY_BYTES + 10)).encode()
    response = client.post(
        "/voice/step?n=main",
        input_stream=io.BytesIO(body),
        environ_base={"wsgi.input_terminated": True},
        headers={
            "Transfer-Encoding": "chunked",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 413


def test_a_genuine_state_url_is_far_from_any_limit(app: Flask) -> None:
    """The longest state a call can carry (history, every answer, a sealed number) makes a URL
    well under the 2 KB a webhook may have: state URLs are bounded by design."""
    from ivr.call.state import MAX_HISTORY, CallState

    flow = app.extensions["ivr"].content.flow
    longest = max(flow.nodes, key=len)
    sealer = app.extensions["ivr"].engine.sealer
    state = CallState(
        longest,
        history=(longest,) * MAX_HISTORY,
        silences=9,
        wrong=9,
        yes=frozenset(flow.answer_ids),
        slow=True,
        phase="check",
        sealed=sealer.seal("+447400123456"),
    )
    url = state.url("/voice/whisper/accept")
    assert len(url) < 1024, len(url)


# ---------------------------------------------------------------- the network


def test_a_forwarded_host_never_opens_the_practice_phone_to_another_machine(
    make_app: Callable[..., Flask],
) -> None:
    """In development, /phone is open only to a connection from this machine: a browser
    elsewhere that sends X-Forwarded-Host: localhost is sent to sign in, proxy trusted or not."""
    from ivr import create_app
    from tests.conftest import ENV

    for hops in ("0", "1"):
        app = create_app({**ENV, "PROXY_HOPS": hops}, development=True)
        client = app.test_client()
        elsewhere = client.get(
            "/phone",
            headers={"X-Forwarded-Host": "localhost", "X-Forwarded-For": "127.0.0.1"},
            environ_base={"REMOTE_ADDR": "192.0.2.10"},
        )
        assert elsewhere.status_code == 302, hops
        assert "/staff/sign-in" in elsewhere.headers["Location"]
        here = client.get("/phone", environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert here.status_code == 200, hops


def test_the_caller_number_stays_out_of_every_log_line(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """A whole call, a call back on the caller's own number included, logs no digit of it."""
    with caplog.at_level(logging.DEBUG, logger="ivr"):
        Phone(app, auth_token=TOKEN, caller=CALLER).call(["0", "1", "1"])
    assert CALLER.lstrip("+")[-9:] not in caplog.text


def test_a_database_folder_that_cannot_be_made_is_named_with_what_to_do(tmp_path: Path) -> None:
    """`ivr serve` with SQLite in a folder it cannot make (here, under a file) stops at once,
    naming the folder and the fix, rather than failing on the first call. (A folder without
    write permission is found the same way, os.access; root may write anywhere, so the test
    uses a folder nobody can make.)"""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ivr"), "serve", "--port", "0"],
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite:///{blocker}/instance/helpline.sqlite3",
            "PROMPT_AUDIO": "say",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{blocker}/instance cannot be made" in result.stderr
    assert "DATABASE_URL" in result.stderr
