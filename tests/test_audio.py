"""Rendered prompt audio: real pyttsx3 renders, the files served to Twilio, and the pace."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import wave
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

import pytest
import requests
from click.testing import CliRunner
from flask import Flask

from ivr import create_app
from ivr.audio.library import AUDIO_PATH, file_name, load_manifest
from ivr.audio.render import render_prompts
from ivr.audio.wav import check_wav, words_per_minute
from ivr.cli import main
from ivr.config import Settings
from ivr.content.load import Content
from ivr.content.model import Prompt, PromptBook
from ivr.practice.phone import Phone
from tests.conftest import ENV, ROOT, TOKEN, served, signed_post
from tests.test_calls import keyed_nodes, keys_to, prompt_ids_heard


@pytest.fixture
def audio_app(make_app: Callable[..., Flask], rendered: Path) -> Callable[..., Flask]:
    """The helpline playing the rendered audio, in the given PROMPT_AUDIO mode."""

    def make(mode: str = "auto", **changes: str) -> Flask:
        return make_app(PROMPT_AUDIO=mode, AUDIO_DIR=str(rendered), **changes)

    return make


def test_every_prompt_is_rendered_at_both_paces(
    rendered: Path, content: Content, settings: Settings, audio_app: Callable[..., Flask]
) -> None:
    """Each prompt has a real 8 kHz mono 16-bit file at the normal and the slow pace."""
    library = audio_app().extensions["ivr"].audio
    expected = {
        (p.id, pace)
        for p in content.prompts.prompts.values()
        if not p.dynamic
        for pace in ("normal", "slow")
    }
    assert set(library.recordings) == expected
    for recording in library.recordings.values():
        assert check_wav(rendered / recording.file) == pytest.approx(recording.seconds, abs=0.01)


def test_slow_is_slower_than_normal_for_every_prompt(audio_app: Callable[..., Flask]) -> None:
    """Each prompt's slow recording is longer than its normal one (each got its own rate)."""
    recordings = audio_app().extensions["ivr"].audio.recordings
    for (prompt_id, pace), recording in recordings.items():
        if pace == "slow":
            assert recording.seconds > recordings[(prompt_id, "normal")].seconds * 1.1, prompt_id


def test_both_paces_keep_under_their_limits(
    audio_app: Callable[..., Flask], settings: Settings
) -> None:
    """Measured from the audio: the normal pace is at most 140 words a minute, slow at most 110."""
    recordings = audio_app().extensions["ivr"].audio.recordings
    for pace in settings.paces.values():
        mine = [r for (_, name), r in recordings.items() if name == pace.name]
        rate = words_per_minute(sum(r.words for r in mine), sum(r.seconds for r in mine))
        assert 60 < rate <= pace.max_words_per_minute, pace.name


def test_a_second_render_reuses_everything(
    rendered: Path, content: Content, settings: Settings
) -> None:
    """Unchanged prompts are not rendered again."""
    summary = render_prompts(content.prompts, settings.paces, settings.tts_voice, rendered)
    assert (summary.rendered, summary.failed) == (0, {})
    assert summary.reused == len(load_manifest(rendered)["entries"])


def test_file_names_are_hashes_of_what_changes_the_sound() -> None:
    """The name changes with the text, voice, rate or engine, and only with them."""
    name = file_name("Hello.", "auto", 115, "engine-1")
    assert name == file_name("Hello.", "auto", 115, "engine-1")
    others = {
        file_name("Hello!", "auto", 115, "engine-1"),
        file_name("Hello.", "x", 115, "engine-1"),
        file_name("Hello.", "auto", 90, "engine-1"),
        file_name("Hello.", "auto", 115, "engine-2"),
    }
    assert name not in others and len(others) == 4


def test_a_damaged_file_is_noticed_and_rendered_again(tmp_path: Path, settings: Settings) -> None:
    """A truncated file fails the check, is not played, and the next render replaces it."""
    book = PromptBook(
        MappingProxyType(
            {"demo.one": Prompt("demo.one", "Hello, and welcome.", "Hello, and welcome.", "f", 1)}
        )
    )
    first = render_prompts(book, settings.paces, settings.tts_voice, tmp_path)
    assert first.rendered == 2
    victim = next(tmp_path.glob("*.wav"))
    victim.write_bytes(victim.read_bytes()[:60])
    again = render_prompts(book, settings.paces, settings.tts_voice, tmp_path)
    assert (again.rendered, again.reused) == (1, 1)
    check_wav(victim)


def test_a_worker_that_hangs_is_stopped_and_reported_by_prompt(
    tmp_path: Path, settings: Settings
) -> None:
    """A worker past its time is killed; its prompts are named as failed, and nothing is kept."""
    book = PromptBook(
        MappingProxyType({"demo.one": Prompt("demo.one", "Hello.", "Hello.", "f", 1)})
    )
    summary = render_prompts(
        book, settings.paces, settings.tts_voice, tmp_path, timeout=0.0, startup=0.01
    )
    assert set(summary.failed) == {"demo.one (normal)", "demo.one (slow)"}
    assert all("longer than" in why for why in summary.failed.values())
    assert list(tmp_path.glob("*.wav")) == []
    assert summary.lines()[-1].strip() == "The helpline reads these with Twilio's <Say> instead."


def test_every_play_url_answers_with_real_audio(
    audio_app: Callable[..., Flask], content: Content
) -> None:
    """In play mode, walking every node: each <Play> URL answers 200 with real audio, no <Say>;
    every prompt heard on the way (as the same walks tell with <Say>) plays its own recording."""
    app = audio_app("play")
    client = app.test_client()
    phone = Phone(app, auth_token=TOKEN)
    said = Phone(audio_app("say"), auth_token=TOKEN)
    urls: set[str] = set()
    heard: set[str] = set()
    for node_id in keyed_nodes(content):
        transcript = phone.call(keys_to(content, node_id))
        assert transcript.errors() == []
        assert transcript.of_kind("say") == []
        urls |= {e.text for e in transcript.of_kind("play")}
        heard |= prompt_ids_heard(content.prompts, said.call(keys_to(content, node_id)))
    library = app.extensions["ivr"].audio
    assert urls == {library.url(prompt_id, "normal") for prompt_id in heard}
    for url in sorted(urls):
        assert url.startswith(f"{AUDIO_PATH}/")
        with client.get(url) as response:
            assert (response.status_code, response.mimetype) == (200, "audio/wav")
            assert check_wav(response.get_data()) > 0.3


def test_with_the_audio_folder_emptied_calls_go_on_with_say(
    make_app: Callable[..., Flask], tmp_path: Path, rendered: Path, content: Content
) -> None:
    """With the files gone, nothing is played and every prompt is spoken with <Say>: as many as
    the same call plays (or says) with the files there."""
    empty = tmp_path / "audio"
    empty.mkdir()
    shutil.copy(rendered / "manifest.json", empty)  # the manifest alone promises nothing
    app = make_app(PROMPT_AUDIO="auto", AUDIO_DIR=str(empty))
    transcript = Phone(app, auth_token=TOKEN).call(["2", "1", "1", "0"])
    assert transcript.errors() == []
    assert transcript.of_kind("play") == []
    with_files = make_app(PROMPT_AUDIO="auto", AUDIO_DIR=str(rendered))
    as_rendered = Phone(with_files, auth_token=TOKEN).call(["2", "1", "1", "0"])
    assert len(transcript.of_kind("say")) == len(as_rendered.of_kind("play", "say"))


def test_the_audio_route_caches_for_a_year_and_serves_ranges(
    audio_app: Callable[..., Flask], rendered: Path
) -> None:
    """Long-lived Cache-Control, an ETag that gives 304, byte ranges, and the right type."""
    client = audio_app().test_client()
    name = next(rendered.glob("*.wav")).name
    with client.get(f"/audio/{name}") as response:
        assert response.status_code == 200
        assert response.mimetype == "audio/wav"
        cache = response.cache_control
        assert (cache.max_age, cache.public, cache.immutable) == (31536000, True, True)
        etag = response.headers["ETag"]
    with client.get(f"/audio/{name}", headers={"If-None-Match": etag}) as unchanged:
        assert unchanged.status_code == 304
    with client.get(f"/audio/{name}", headers={"Range": "bytes=0-99"}) as part:
        assert part.status_code == 206
        assert len(part.get_data()) == 100
        assert part.headers["Content-Range"].startswith("bytes 0-99/")


@pytest.mark.parametrize(
    "name",
    [
        "0" * 32 + ".wav",
        "manifest.json",
        "..%2fpyproject.toml",
        "%2e%2e%2f%2e%2e%2fpyproject.toml",
        "../../pyproject.toml",
        "x.wav",
    ],
)
def test_unknown_or_outside_names_are_404(audio_app: Callable[..., Flask], name: str) -> None:
    """Nothing but a rendered file can be read through the audio URL."""
    with audio_app().test_client().get(f"/audio/{name}") as response:
        assert response.status_code == 404


def test_audio_base_url_serves_from_elsewhere(audio_app: Callable[..., Flask]) -> None:
    """With AUDIO_BASE_URL set, <Play> points at it."""
    app = audio_app("play", AUDIO_BASE_URL="https://cdn.example.org/helpline")
    _, _, body = signed_post(app.test_client(), "/voice/incoming")
    plays = [e.text or "" for e in ET.fromstring(body).iter("Play")]
    assert plays and all(p.startswith("https://cdn.example.org/helpline/") for p in plays)


def test_nine_switches_to_the_slow_recordings_for_the_rest_of_the_call(
    audio_app: Callable[..., Flask],
) -> None:
    """After 9, every prompt plays its slow recording, and the choice holds from step to step."""
    app = audio_app("play")
    library = app.extensions["ivr"].audio
    slow_files = {r.file for (_, pace), r in library.recordings.items() if pace == "slow"}
    transcript = Phone(app, auth_token=TOKEN).call(["9", "1", ".", "2"])
    plays = transcript.of_kind("play")
    first_gather = [e for e in transcript.events if e.kind in ("play", "gather")]
    before = first_gather[: next(i for i, e in enumerate(first_gather) if e.kind == "gather")]
    after = plays[len(before) :]
    assert not any(e.text.rsplit("/", 1)[1] in slow_files for e in before)
    assert after and all(e.text.rsplit("/", 1)[1] in slow_files for e in after)
    assert all("p=s" in (g.url or "") for g in transcript.of_kind("gather")[1:])


def test_say_uses_prosody_at_each_pace(make_app: Callable[..., Flask]) -> None:
    """With <Say>, the normal pace is SAY_RATE and the slow pace SAY_SLOW_RATE."""
    client = make_app(PROMPT_AUDIO="say", SAY_RATE="95%", SAY_SLOW_RATE="72%").test_client()
    normal = ET.fromstring(signed_post(client, "/voice/step?n=main", {"Digits": "#"})[2])
    slow = ET.fromstring(signed_post(client, "/voice/step?n=main", {"Digits": "9"})[2])
    assert {p.attrib["rate"] for p in normal.iter("prosody")} == {"95%"}
    assert {p.attrib["rate"] for p in slow.iter("prosody")} == {"72%"}


def test_check_reports_the_audio(rendered: Path, content: Content) -> None:
    """`ivr check` gives each pace's words a minute and the five longest prompts."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ivr"), "check"],
        cwd=ROOT,
        env={**ENV, "PATH": "/usr/bin:/bin", "AUDIO_DIR": str(rendered)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    fixed = [p for p in content.prompts.prompts.values() if not p.dynamic]
    assert f"normal: {len(fixed)} prompts" in result.stdout
    assert "words a minute overall (limit 110)" in result.stdout
    assert "The 5 longest prompts (normal pace):" in result.stdout


def test_ivr_call_speak_completes(rendered: Path) -> None:
    """`ivr call --speak` says each prompt aloud and still prints the whole call."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ivr"), "call", "--speak", "--keys", "9 0"],
        cwd=ROOT,
        env={**ENV, "PATH": "/usr/bin:/bin", "AUDIO_DIR": str(rendered), "PROMPT_AUDIO": "auto"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "I will speak more slowly from now on" in result.stdout
    assert "(recorded)" in result.stdout
    assert io.StringIO(result.stdout).read().rstrip().endswith("Call ended.")


def test_a_recording_at_the_wrong_rate_is_rendered_again(
    tmp_path: Path, settings: Settings
) -> None:
    """If the slow file sounds no slower than the normal one, both are made again."""
    text = "Here are the first four questions you could ask your doctor."
    book = PromptBook(MappingProxyType({"demo.q": Prompt("demo.q", text, text, "f", 1)}))
    render_prompts(book, settings.paces, settings.tts_voice, tmp_path)
    library_dir = load_manifest(tmp_path)["entries"]
    files = {entry["seconds"]: tmp_path / entry["file"] for entry in library_dir.values()}
    normal, slow = files[min(files)], files[max(files)]
    shutil.copy(normal, slow)  # a slow recording that came out at the normal rate
    again = render_prompts(book, settings.paces, settings.tts_voice, tmp_path)
    assert (again.rendered, again.failed) == (2, {})
    assert check_wav(slow) > check_wav(normal) * 1.1


def test_ivr_call_url_shows_the_words_of_a_running_servers_recordings(rendered: Path) -> None:
    """`ivr call --url` against a server that plays recordings shows their words, as it does
    in-process, from the captions the server publishes (never /audio/<hash>.wav)."""
    # As `ivr serve` runs: signatures checked against the address it is called at.
    env = {k: v for k, v in ENV.items() if k != "PUBLIC_BASE_URL"}
    app = create_app({**env, "PROMPT_AUDIO": "auto", "AUDIO_DIR": str(rendered)}, development=True)
    with served(app) as base:
        listed = requests.get(f"{base}/audio/captions.json", timeout=10).json()
        result = CliRunner().invoke(
            main, ["call", "--url", base, "--keys", "."], env={"TWILIO_AUTH_TOKEN": TOKEN}
        )
    assert result.exit_code == 0, result.output
    assert listed == app.extensions["ivr"].audio.captions and listed
    assert "Helpline: Welcome to the" in result.output and "(recorded)" in result.output
    assert "/audio/" not in result.output


def test_a_recording_far_faster_than_its_rate_is_rendered_again(
    tmp_path: Path, settings: Settings
) -> None:
    """A normal recording far shorter than its slow one (spoken at espeak's default rate of
    200, as a whole batch once was) is noticed by the pair's lengths, and both are made again."""
    text = "Here are the first four questions you could ask your doctor."
    book = PromptBook(MappingProxyType({"demo.q": Prompt("demo.q", text, text, "f", 1)}))
    render_prompts(book, settings.paces, settings.tts_voice, tmp_path)
    entries = load_manifest(tmp_path)["entries"].values()
    normal = tmp_path / min(entries, key=lambda entry: entry["seconds"])["file"]
    with wave.open(str(normal)) as wav:
        params, frames = wav.getparams(), wav.readframes(wav.getnframes())
    with wave.open(str(normal), "wb") as hurried:
        hurried.setparams(params)
        hurried.writeframes(frames[: len(frames) // 2 // 2 * 2])  # half as long: rate 200 or so
    again = render_prompts(book, settings.paces, settings.tts_voice, tmp_path)
    assert (again.rendered, again.failed) == (2, {})
    assert check_wav(normal) > len(frames) / 2 / 2 / 8000 * 1.5


def test_a_voice_the_engine_lacks_fails_every_prompt_in_it_with_the_reason(
    tmp_path: Path, settings: Settings
) -> None:
    """No worker can start a voice the engine lacks: each prompt in it is named as failed with
    the engine's reason, and nothing is kept."""
    book = PromptBook(
        MappingProxyType(
            {
                "demo.one": Prompt("demo.one", "Hello.", "Hello.", "f", 1),
                "demo.two": Prompt("demo.two", "Goodbye.", "Goodbye.", "f", 2),
            }
        )
    )
    summary = render_prompts(book, settings.paces, "no/such-voice", tmp_path)
    assert set(summary.failed) == {
        f"demo.{n} ({pace})" for n in ("one", "two") for pace in ("normal", "slow")
    }
    assert {why for why in summary.failed.values()} == {
        "the speech engine cannot start: ValueError: the voice 'no/such-voice' is not one of "
        "this engine's voices"
    }
    assert (summary.rendered, summary.engine, list(tmp_path.glob("*.wav"))) == (0, "", [])
    # Four alike are said in one line, not four.
    assert summary.lines()[-2] == (
        f"  failed: 4 prompts (demo.one (normal) and others): {summary.failed['demo.one (slow)']}"
    )
