"""Every offered language rendered in its own voice, and each call hearing its own language's
recordings, with its own <Say> voice where one is missing."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from ivr.audio.library import AudioLibrary, load_manifest
from ivr.audio.render import Summary, plan, render_prompts
from ivr.config import Settings, load_settings
from ivr.content.load import Content, load_content
from tests.conftest import ENV, ROOT, signed_post

WELSH = {"LANGUAGES": "en-GB,cy-GB", "LANGUAGES_UNREVIEWED": "cy-GB"}
WELSH_MENU = "/voice/step?n=main&l=cy-GB"


def offering_welsh() -> tuple[Settings, Content]:
    """The settings and content of a line that offers English and Welsh."""
    settings = load_settings({**ENV, **WELSH})
    content = load_content(
        ROOT,
        settings.service_name,
        settings.nurse_line_hours,
        run_by=settings.run_by,
        offered=settings.languages,
        unreviewed=settings.languages_unreviewed,
    )
    return settings, content


@dataclass(frozen=True)
class Both:
    """English and Welsh rendered into one folder, and what the Welsh render said."""

    folder: Path
    summary: Summary
    content: Content
    settings: Settings


@pytest.fixture(scope="session")
def both(tmp_path_factory: pytest.TempPathFactory, rendered: Path) -> Both:
    """The English recordings already rendered, and Welsh rendered beside them."""
    folder = tmp_path_factory.mktemp("both")
    for path in rendered.iterdir():
        shutil.copy(path, folder)
    settings, content = offering_welsh()
    summary = render_prompts(content.languages, settings.paces, settings.tts_voice, folder)
    assert summary.failed == {}
    return Both(folder, summary, content, settings)


def library(both: Both) -> AudioLibrary:
    return AudioLibrary(
        both.content.languages, both.settings.paces, both.settings.tts_voice, both.folder, None
    )


def test_every_offered_language_is_rendered_in_its_own_voice(both: Both) -> None:
    """Welsh is rendered in espeak-ng's Welsh voice beside the English, which is reused: every
    Welsh prompt has its own files at both paces, none of them an English file."""
    jobs = plan(both.content.languages, both.settings.paces, "auto", "", both.folder)
    welsh = [job for job in jobs if job.language == "cy-GB"]
    assert (both.summary.rendered, both.summary.reused) == (len(welsh), len(jobs) - len(welsh))
    assert {job.voice for job in welsh} == {"cel/cy"}
    assert load_manifest(both.folder)["voices"] == ["auto:en-GB", "cel/cy"]
    found = library(both)
    fixed = [
        p.id for p in both.content.languages.prompts["cy-GB"].prompts.values() if not p.dynamic
    ]
    assert set(found.languages["cy-GB"]) == {
        (pid, pace) for pid in fixed for pace in ("normal", "slow")
    }
    english = {r.file for r in found.languages["en-GB"].values()}
    assert english and not english & {r.file for r in found.languages["cy-GB"].values()}


def test_welsh_slow_is_slower_than_normal_for_every_prompt(both: Both) -> None:
    """Each Welsh prompt's slow recording is longer than its normal one."""
    recordings = library(both).languages["cy-GB"]
    for (prompt_id, pace), recording in recordings.items():
        if pace == "slow":
            assert recording.seconds > recordings[(prompt_id, "normal")].seconds * 1.1, prompt_id


def test_the_summary_gives_files_minutes_and_words_a_minute_per_language_and_pace(
    both: Both,
) -> None:
    """One line per language and pace, measured from the files: the slow pace fewer words a
    minute than the normal in each language, and English within its limits."""
    entries = load_manifest(both.folder)["entries"]
    jobs = plan(both.content.languages, both.settings.paces, "auto", "", both.folder)
    rates = {}
    for language in ("en-GB", "cy-GB"):
        for pace in ("normal", "slow"):
            mine = [
                entries[job.key] for job in jobs if (job.language, job.pace) == (language, pace)
            ]
            seconds = sum(entry["seconds"] for entry in mine)
            rate = sum(entry["words"] for entry in mine) / seconds * 60
            line = (
                f"  {language} {pace}: {len(mine)} files, {seconds / 60:.1f} min of audio, "
                f"{rate:.0f} words a minute"
            )
            assert line in both.summary.lines()
            rates[(language, pace)] = rate
    assert rates[("cy-GB", "slow")] < rates[("cy-GB", "normal")]
    assert rates[("en-GB", "slow")] <= 110 < rates[("en-GB", "normal")] <= 140


def test_tts_voice_overrides_the_first_languages_voice_only() -> None:
    """TTS_VOICE names the first language's voice; Welsh keeps its own."""
    settings, content = offering_welsh()
    jobs = plan(content.languages, settings.paces, "gmw/en-gb-x-rp", "", Path())
    assert {(job.language, job.voice) for job in jobs} == {
        ("en-GB", "gmw/en-gb-x-rp"),
        ("cy-GB", "cel/cy"),
    }


def plays_and_says(app: Flask, path: str) -> tuple[list[str], list[dict[str, str]]]:
    """The files a step plays, and the attributes of each <Say>."""
    _, _, body = signed_post(app.test_client(), path, {"Digits": "#"})
    root = ET.fromstring(body)
    plays = [(e.text or "").rsplit("/", 1)[-1] for e in root.iter("Play")]
    return plays, [dict(e.attrib) for e in root.iter("Say")]


def test_a_welsh_call_plays_the_welsh_recordings(
    make_app: Callable[..., Flask], both: Both
) -> None:
    """A call in Welsh hears Welsh recordings, never English ones; an English call the English."""
    app = make_app(PROMPT_AUDIO="auto", AUDIO_DIR=str(both.folder), **WELSH)
    found = app.extensions["ivr"].audio
    welsh = {r.file for r in found.languages["cy-GB"].values()}
    plays, says = plays_and_says(app, WELSH_MENU)
    assert plays and set(plays) <= welsh and says == []
    english, _ = plays_and_says(app, "/voice/step?n=main")
    assert english and not set(english) & welsh


def test_where_a_welsh_recording_is_missing_its_own_voice_says_it(
    make_app: Callable[..., Flask], rendered: Path
) -> None:
    """With only English rendered, a Welsh call is spoken with <Say> in the Welsh voice."""
    app = make_app(PROMPT_AUDIO="auto", AUDIO_DIR=str(rendered), **WELSH)
    plays, says = plays_and_says(app, WELSH_MENU)
    assert plays == [] and says
    assert {(s["voice"], s["language"]) for s in says} == {("Polly.Gwyneth", "cy-GB")}
    english, _ = plays_and_says(app, "/voice/step?n=main")
    assert english


def test_say_voice_is_the_first_languages_only(make_app: Callable[..., Flask]) -> None:
    """SAY_VOICE changes the English <Say> voice; Welsh keeps its own."""
    app = make_app(SAY_VOICE="Polly.Emma", **WELSH)
    _, english = plays_and_says(app, "/voice/step?n=main")
    _, welsh = plays_and_says(app, WELSH_MENU)
    assert {s["voice"] for s in english} == {"Polly.Emma"}
    assert {s["voice"] for s in welsh} == {"Polly.Gwyneth"}


def test_each_language_name_appears_in_the_summary(both: Both) -> None:
    """Both languages, at both paces, in the order offered."""
    named = [m.group(1) for line in both.summary.lines() if (m := re.match(r"  (\S+ \S+):", line))]
    assert named == ["en-GB normal", "en-GB slow", "cy-GB normal", "cy-GB slow"]


def test_the_way_into_welsh_plays_its_welsh_recording(
    make_app: Callable[..., Flask], both: Both
) -> None:
    """A new call on a line of both languages: the way into Welsh is the Welsh recording, the
    welcome after it the English ones."""
    app = make_app(PROMPT_AUDIO="auto", AUDIO_DIR=str(both.folder), **WELSH)
    welsh = {r.file for r in app.extensions["ivr"].audio.languages["cy-GB"].values()}
    _, _, body = signed_post(app.test_client(), "/voice/incoming", {})
    plays = [(e.text or "").rsplit("/", 1)[-1] for e in ET.fromstring(body).iter("Play")]
    assert plays[0] in welsh
    assert len(plays) > 3 and not set(plays[1:]) & welsh
