"""Telephone audio as the helpline keeps it, and the engine that makes it: the worker process
reads only this, so that it starts quickly."""

from __future__ import annotations

import io
import math
import subprocess
import wave
from importlib.metadata import version
from pathlib import Path

# Telephone audio: Twilio plays it on a G.711 line at 8 kHz, so it is rendered at exactly that
# rate, mono, as 16-bit linear PCM (the WAV form every player and Twilio reads).
SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2  # bytes: 16-bit


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
