"""Rendered prompt audio: names, the manifest, checks on files, and what the web process plays.

A file is named by a hash of everything that changes its sound (text, voice, rate, engine), so it
never changes under its name and can be cached for a year. The manifest maps what the helpline
asks for (text, voice, rate) to the file that was rendered for it, with its length.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import subprocess
import wave
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ivr.audio.pace import Pace
from ivr.content.model import PromptBook
from ivr.content.readability import word_count

# Telephone audio: Twilio plays it on a G.711 line at 8 kHz, so it is rendered at exactly that
# rate, mono, as 16-bit linear PCM (the WAV form every player and Twilio reads).
SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2  # bytes: 16-bit
MANIFEST = "manifest.json"
AUDIO_PATH = "/audio"


def engine_name() -> str:
    """pyttsx3's version and, where it drives espeak-ng, that version too: both change the sound."""
    name = f"pyttsx3-{version('pyttsx3')}"
    try:
        found = subprocess.run(
            ["espeak-ng", "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return name
    # "eSpeak NG text-to-speech: 1.51  Data at: ..."
    return f"{name} espeak-ng-{found[3]}" if len(found) > 3 else name


class AudioError(ValueError):
    """A file is not the telephone audio it should be."""


def request_key(text: str, voice: str, rate: int) -> str:
    """What the helpline asks for: the same text, voice and rate always give the same key."""
    return _digest({"text": text, "voice": voice, "rate": rate})


def file_name(text: str, voice: str, rate: int, engine: str) -> str:
    """The file's name: a hash of everything that changes the sound."""
    return _digest({"text": text, "voice": voice, "rate": rate, "engine": engine}) + ".wav"


def _digest(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


def check_wav(source: Path | bytes) -> float:
    """The length in seconds of a real 8 kHz mono 16-bit WAV with sound in it; else AudioError."""
    name = source.name if isinstance(source, Path) else "the audio"
    try:
        with wave.open(str(source) if isinstance(source, Path) else io.BytesIO(source)) as wav:
            shape = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
            frames = wav.readframes(wav.getnframes())
    except (OSError, EOFError, wave.Error) as error:
        raise AudioError(f"{name} is not a readable WAV file: {error}") from error
    if shape != (SAMPLE_RATE, 1, SAMPLE_WIDTH):
        raise AudioError(
            f"{name} is {shape[0]} Hz, {shape[1]} channel(s), "
            f"{8 * shape[2]}-bit; {SAMPLE_RATE} Hz mono {8 * SAMPLE_WIDTH}-bit is needed"
        )
    import numpy as np  # only where a file is checked: the web process and `ivr check` need none

    samples = np.frombuffer(frames[: len(frames) // 2 * 2], dtype="<i2")
    if samples.size == 0:
        raise AudioError(f"{name} holds no audio")
    if int(np.abs(samples.astype(np.int32)).max()) < 300:  # about -40 dBFS: silence, not speech
        raise AudioError(f"{name} is silent")
    return samples.size / SAMPLE_RATE


def plausible(seconds: float, words: int) -> bool:
    """Speech runs between 40 and 400 words a minute, give or take a second of pause."""
    if words == 0:
        return seconds > 0
    return words / 400 * 60 <= seconds + 0.5 and seconds <= words / 40 * 60 + 2


def words_per_minute(words: int, seconds: float) -> float:
    return words / seconds * 60 if seconds else math.inf


# ---------------------------------------------------------------- the manifest


def load_manifest(audio_dir: Path) -> dict[str, Any]:
    """The manifest, or an empty one; a damaged manifest counts as empty (files stay)."""
    try:
        data: dict[str, Any] = json.loads((audio_dir / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return {"entries": {}}
    if not isinstance(data.get("entries"), dict):
        return {"entries": {}}
    return data


def save_manifest(audio_dir: Path, data: Mapping[str, Any]) -> None:
    """Write the manifest whole, or not at all."""
    partial = audio_dir / f"{MANIFEST}.part"
    partial.write_text(json.dumps(data, indent=1, sort_keys=True), "utf-8")
    os.replace(partial, audio_dir / MANIFEST)


# ---------------------------------------------------------------- what the helpline plays


@dataclass(frozen=True)
class Recording:
    """A rendered prompt at one pace."""

    file: str
    seconds: float
    words: int


class AudioLibrary:
    """Which prompts have rendered audio at each pace, worked out once at start-up."""

    def __init__(
        self,
        prompts: PromptBook,
        paces: Mapping[str, Pace],
        voice: str,
        audio_dir: Path,
        base_url: str | None,
        require_files: bool = True,
    ) -> None:
        self.base = (base_url or "").rstrip("/") or AUDIO_PATH
        self.audio_dir = audio_dir
        entries = load_manifest(audio_dir)["entries"]
        found: dict[tuple[str, str], Recording] = {}
        self.captions: dict[str, str] = {}
        for prompt in prompts.prompts.values():
            for pace in paces.values():
                entry = entries.get(request_key(prompt.spoken, voice, pace.engine_rate))
                if not entry:
                    continue
                path = audio_dir / entry["file"]
                if require_files and not (
                    path.is_file() and path.stat().st_size == entry.get("bytes")
                ):
                    continue
                found[(prompt.id, pace.name)] = Recording(
                    entry["file"], float(entry["seconds"]), word_count(prompt.spoken)
                )
                self.captions[entry["file"]] = prompt.text
        self.recordings = found

    def at_pace(self, name: str) -> dict[str, Recording]:
        """The recordings at one pace, by prompt id."""
        return {pid: r for (pid, pace), r in self.recordings.items() if pace == name}

    def url(self, prompt_id: str, pace: str) -> str | None:
        """Where Twilio can fetch a prompt's audio, if it was rendered."""
        found = self.recordings.get((prompt_id, pace))
        return f"{self.base}/{found.file}" if found else None

    def caption(self, url: str) -> str | None:
        """The written words of the audio at a URL, for captions and the terminal phone."""
        return self.captions.get(url.rsplit("/", 1)[-1])
