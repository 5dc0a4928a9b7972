"""Serving first: the helpline answers before its audio is rendered, speaking with <Say> what
has no recording yet, and plays each recording from the moment its file is checked."""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from flask import Flask

from ivr.audio.background import BackgroundRender
from ivr.audio.library import load_manifest
from tests.conftest import ENV, signed_post


def answer(app: Flask) -> tuple[list[str], int]:
    """The files the welcome plays, and how many prompts it says with <Say>."""
    _, _, body = signed_post(app.test_client(), "/voice/incoming")
    root = ET.fromstring(body)
    return [(e.text or "").rsplit("/", 1)[-1] for e in root.iter("Play")], len(
        list(root.iter("Say"))
    )


def test_a_recording_plays_from_the_moment_it_is_added(
    make_app: Callable[..., Flask], tmp_path: Path, rendered: Path
) -> None:
    """With no audio, the welcome is said; once the library is given its files (as a render
    beside the server gives them), the same step plays them: no answer is kept from before."""
    app = make_app(PROMPT_AUDIO="auto", AUDIO_DIR=str(tmp_path))
    plays, says = answer(app)
    assert plays == [] and says > 0
    library = app.extensions["ivr"].audio
    entries = load_manifest(rendered)["entries"]
    for path in rendered.glob("*.wav"):
        shutil.copy(path, tmp_path)
    library.add({key: (entry["file"], entry["seconds"]) for key, entry in entries.items()})
    plays, now_says = answer(app)
    assert len(plays) == says and now_says == 0


def test_a_render_beside_the_server_adds_each_file_and_says_how_far_it_has_got(
    make_app: Callable[..., Flask], tmp_path: Path, rendered: Path
) -> None:
    """The files already made are checked and added; the missing ones are rendered and added;
    the terminal hears each tenth of the way and the summary."""
    entries = load_manifest(rendered)["entries"]
    for path in rendered.glob("*.wav"):
        shutil.copy(path, tmp_path)  # no manifest: nothing is known to be there at start-up
    app = make_app(PROMPT_AUDIO="auto", AUDIO_DIR=str(tmp_path))
    welcome, _ = answer(make_app(PROMPT_AUDIO="auto", AUDIO_DIR=str(rendered)))
    for name in welcome:
        (tmp_path / name).unlink()
    found = app.extensions["ivr"].audio
    assert found.count()[0] == 0
    said: list[str] = []
    helpline = app.extensions["ivr"]
    render = BackgroundRender(
        helpline.content.languages,
        helpline.settings.paces,
        helpline.settings.tts_voice,
        found,
        said.append,
    )
    render.start().join(timeout=300)
    assert render.finished.is_set()
    assert found.count() == (found.count()[1], found.count()[1])
    assert said[0].startswith("Rendering prompt audio beside the server: 0 of ")
    steps = [line for line in said if line.startswith("Prompt audio: ")]
    assert (
        len(steps) == 10
        and steps[-1] == f"Prompt audio: {len(entries)} of {len(entries)} files rendered."
    )
    assert said[-1].startswith(
        f"Rendered {len(set(welcome))}, reused {len(entries) - len(set(welcome))}, failed 0"
    )
    plays, says = answer(app)
    assert plays == welcome and says == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_ivr_serve_answers_before_the_audio_is_rendered(tmp_path: Path, rendered: Path) -> None:
    """`ivr serve` with no audio answers the first call at once, with <Say>; it renders beside
    itself, says how far it has got, and then plays the recordings."""
    audio = tmp_path / "audio"
    audio.mkdir()
    for path in rendered.glob("*.wav"):
        shutil.copy(path, audio)
    port = free_port()
    env = {k: v for k, v in ENV.items() if k not in ("TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")}
    env |= {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PROMPT_AUDIO": "auto",
        "AUDIO_DIR": str(audio),
        "DATABASE_URL": f"sqlite:///{tmp_path}/helpline.sqlite3",
    }
    with subprocess.Popen(
        [str(Path(sys.executable).parent / "ivr"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        lines: queue.Queue[str] = queue.Queue()
        stderr = server.stderr
        assert stderr is not None
        reader = threading.Thread(target=lambda: [lines.put(line) for line in stderr])
        reader.start()
        try:
            first = incoming(port, deadline=time.monotonic() + 60)
            said = until(lines, "Rendered ", deadline=time.monotonic() + 120)
            later = incoming(port, deadline=time.monotonic() + 10)
            played = ET.fromstring(later).find(".//Play")
            assert played is not None and played.text
            with requests.get(f"http://127.0.0.1:{port}{played.text}", timeout=10) as fetched:
                fetch = (fetched.status_code, fetched.headers["Content-Type"])
        finally:
            server.terminate()
            server.wait(timeout=30)
            reader.join(timeout=30)
    assert "<Say" in first and "<Play" not in first
    assert any(line.startswith("Rendering prompt audio beside the server: 0 of") for line in said)
    assert "<Play>" in later and "<Say" not in later
    assert fetch == (200, "audio/wav")
    assert load_manifest(audio)["entries"]


def incoming(port: int, deadline: float) -> str:
    """The answer to a new call, once the server answers."""
    while True:
        try:
            reply = requests.post(f"http://127.0.0.1:{port}/voice/incoming", timeout=5)
            if reply.status_code == 200:
                return reply.text
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            pytest.fail("the server did not answer in time")
        time.sleep(0.1)


def until(lines: queue.Queue[str], start: str, deadline: float) -> list[str]:
    """The server's lines up to one that starts so."""
    said = []
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"the server never said {start!r}; it said {said}")
        said.append(line.rstrip("\n"))
        if line.startswith(start):
            return said
