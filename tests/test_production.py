"""The real servers: the Procfile's gunicorn and `ivr serve`, over HTTP on this machine."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

from ivr.practice.phone import Phone
from tests.conftest import ENV, ROOT, TOKEN

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def procfile_web(port: int) -> list[str]:
    """The Procfile's web command, bound to loopback on the given port."""
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    words = shlex.split(line.removeprefix("web:").replace("$PORT", str(port)))
    words = [w.replace("0.0.0.0:", "127.0.0.1:") for w in words]
    return [str(BIN / words[0]), *words[1:]]


@contextmanager
def server(
    command: list[str], env: Mapping[str, str], port: int, output: list[str] | None = None
) -> Iterator[str]:
    """Start a server, wait until it answers, and stop it afterwards (keeping what it printed)."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(base + "/", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):
                assert process.poll() is None, process.communicate()[0]
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        printed = process.communicate(timeout=30)[0]
        if output is not None:
            output.append(printed)


def test_procfile_refuses_to_start_without_a_token() -> None:
    """Gunicorn with the Procfile's command exits, naming the missing TWILIO_AUTH_TOKEN."""
    env = {k: v for k, v in os.environ.items() if k != "TWILIO_AUTH_TOKEN"}
    env.update({k: v for k, v in ENV.items() if k != "TWILIO_AUTH_TOKEN"})
    result = subprocess.run(
        procfile_web(free_port()),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "TWILIO_AUTH_TOKEN is not set" in result.stdout + result.stderr


def test_procfile_server_answers_signed_calls_and_refuses_unsigned() -> None:
    """Under gunicorn, a signed call goes through to the nurse line; unsigned gets a 403."""
    port = free_port()
    env = {**ENV, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}  # where Twilio would call
    with server(procfile_web(port), env, port) as base:
        transcript = Phone(base, auth_token=TOKEN).call(["1", ".", "7", "0"])
        assert transcript.errors() == []
        assert len(transcript.of_kind("dial")) == 1
        assert requests.post(base + "/voice/incoming", timeout=5).status_code == 403


def test_ivr_serve_answers_twiml_on_the_default_development_setup() -> None:
    """`ivr serve` (what `make serve` runs) answers POST /voice/incoming with TwiML, prints the
    practice phone's address, and leads a newcomer from / to it."""
    port = free_port()
    env = {"CONTENT_DIR": str(ROOT), "TWILIO_AUTH_TOKEN": "", "SECRET_KEY": ""}
    env["PYTHONPATH"] = ENV["PYTHONPATH"]  # this tree's package, as the other commands
    env["PYTHONUNBUFFERED"] = "1"  # what it printed survives its being stopped
    printed: list[str] = []
    with server([str(BIN / "ivr"), "serve", "--port", str(port)], env, port, printed) as base:
        landing = requests.get(base + "/", timeout=5)
        assert landing.url == base + "/phone"
        assert landing.status_code == 200
        assert "<h1>Call the helpline</h1>" in landing.text
        response = requests.post(base + "/voice/incoming", data={"CallSid": "CA1"}, timeout=5)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/xml")
        assert response.text.startswith("<?xml")
        assert "<Gather" in response.text
    assert f"Call the helpline in your browser:   http://localhost:{port}/phone" in printed[0]
