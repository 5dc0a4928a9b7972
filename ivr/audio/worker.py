"""Speak prompts into telephone WAV files with pyttsx3. Runs in a worker process.

pyttsx3 can hang in a loop of runAndWait calls and can return before espeak has written the
file (pyttsx3 #194, #219), so this runs as `python -m ivr.audio.worker` under a parent that enforces
a timeout, and every file is checked here (and again by the parent) before it counts.

Input on stdin: {"voice": "auto", "auto:<language>" or a voice id, "rate": engine rate,
"nice": how much to lower this process's priority, "jobs": [{"text", "out"}]}.
One rate a worker: espeak-ng applies a rate change at once, so a change made while pyttsx3 is
still finishing the previous utterance reaches the wrong file (seen here with pyttsx3 2.99).
Output on stdout: first {"voice": the voice id used} once the engine is ready, then one JSON line
per job, {"out", "ok", "seconds" or "error"}, as each finishes.
`python -m ivr.audio.worker probe [VOICE]` prints the engine's name and version and the voice it
would use; `python -m ivr.audio.worker speak VOICE RATE` says stdin through the speakers.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from ivr.audio.wav import SAMPLE_RATE, SAMPLE_WIDTH, engine_name

FILE_WAIT_SECONDS = 5.0
LATE_FILE_SECONDS = 0.5  # a file still not whole this long after espeak is idle never will be
TRIES = 3
# The engine's own file is read once and deleted: in memory where the machine has a place for it.
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
ENGLISH = "en-GB"


def choose_voice(engine: Any, wanted: str) -> str:
    """The voice id to use: the one asked for, else ("auto" or "auto:<language>") the
    language's own voice, and for English (the default) any English voice."""
    voices = engine.getProperty("voices")
    ids = [v.id for v in voices]
    if not wanted.startswith("auto"):
        if wanted not in ids:
            raise ValueError(f"the voice {wanted!r} is not one of this engine's voices")
        return wanted
    language = wanted.partition(":")[2] or ENGLISH
    full, base = language.lower(), language.lower().split("-")[0]

    def languages(voice: Any) -> list[str]:
        return [
            (lang.decode() if isinstance(lang, bytes) else str(lang)).lower()
            for lang in (voice.languages or [])
        ]

    tests: list[Callable[[Any], bool]] = [
        lambda v: full in languages(v),
        lambda v: full.replace("-", "_") in v.id.lower(),
        lambda v: base in languages(v),
    ]
    if base == "en":
        tests += [
            lambda v: any(lang.startswith("en") for lang in languages(v)),
            lambda v: "english" in (v.name or "").lower(),
        ]
    for test in tests:
        for voice in voices:
            if test(voice):
                return str(voice.id)
    if base != "en":
        raise ValueError(f"this engine has no voice for {language}")
    return str(ids[0])


def to_telephone(source: Path, target: Path) -> float:
    """Resample a rendered WAV to 8 kHz mono 16-bit PCM; return its length in seconds."""
    with wave.open(str(source)) as wav:
        rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
        frames = wav.readframes(wav.getnframes())
    if width != SAMPLE_WIDTH:
        raise ValueError(f"the engine wrote {8 * width}-bit audio; 16-bit was expected")
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    resampled = soxr.resample(samples, rate, SAMPLE_RATE, quality="HQ")
    pcm = np.clip(np.round(resampled * 32767.0), -32768, 32767).astype("<i2")
    partial = target.with_suffix(".part")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    partial.replace(target)  # a file appears under its name whole, or not at all
    return len(pcm) / SAMPLE_RATE


def _whole(path: Path) -> bool:
    """Whether a WAV file holds all the audio its header says it does (the header is written
    last, when the file is closed)."""
    try:
        with wave.open(str(path)) as wav:
            size: int = wav.getnframes() * wav.getsampwidth() * wav.getnchannels()
    except (OSError, EOFError, wave.Error):
        return False
    return size > 0 and path.stat().st_size >= size + 44


def _wait_for_file(path: Path, seconds: float) -> bool:
    """pyttsx3 may return before the file is complete (#219): whether it is whole within the
    time. It usually is at once, so it is looked at before any wait."""
    deadline = time.monotonic() + seconds
    while not _whole(path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _until_idle(engine: Any) -> Callable[[], None]:
    """What waits until espeak's own thread has finished, where pyttsx3 drives espeak. It says
    an utterance is finished before that thread is done with it; a text begun then is cut off
    (pyttsx3 cancels what espeak is still playing when a loop starts: an empty file, seen here),
    and the rate set for it is cancelled with it (a whole batch at espeak's default rate)."""
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    if type(driver).__name__ != "EspeakDriver":
        return lambda: None
    from pyttsx3.drivers import _espeak

    def idle() -> None:
        # espeak_Synchronize looks every 20 ms; the thread is usually done in one or two.
        deadline = time.monotonic() + FILE_WAIT_SECONDS
        while _espeak.IsPlaying() and time.monotonic() < deadline:
            time.sleep(0.001)

    return idle


class Speaker:
    """pyttsx3 at one voice and rate, saying one text at a time into a file."""

    def __init__(self, engine: Any, rate: int) -> None:
        self.engine = engine
        self.rate = rate
        # runAndWait returns before espeak's own thread has finished the utterance (#219):
        # wait for the engine to say it has finished each one before the next begins.
        self.finished = threading.Event()
        engine.connect("finished-utterance", lambda name, completed: self.finished.set())
        self.idle = _until_idle(engine)

    def to_file(self, text: str, raw: Path) -> None:
        """Say the text into a WAV file at the engine's rate; TimeoutError if it cannot."""
        for _try in range(TRIES):
            self.finished.clear()
            # The rate goes to espeak's queue just ahead of each text, so that no text can be
            # spoken at a rate set for another (a whole batch at espeak's default was seen).
            self.engine.setProperty("rate", self.rate)
            self.engine.save_to_file(text, str(raw))
            self.engine.runAndWait()
            if not self.finished.wait(FILE_WAIT_SECONDS):
                raise TimeoutError("the engine never said it had finished")
            self.idle()
            # Now and then pyttsx3 writes the file with no audio in it, having heard the end of
            # the text before its start (seen about once in 70 texts): saying it again costs
            # far less than waiting for audio that will not come.
            if _wait_for_file(raw, LATE_FILE_SECONDS):
                return
        raise TimeoutError(f"the engine wrote no audio for this text, {TRIES} times")


def render(jobs: list[dict[str, Any]], wanted_voice: str, rate: int) -> None:
    """Render each job at one rate, reporting each as it finishes."""
    import pyttsx3

    results = sys.stdout
    engine = pyttsx3.init()
    voice = choose_voice(engine, wanted_voice)
    engine.setProperty("voice", voice)
    print(json.dumps({"voice": voice}), file=results, flush=True)
    speaker = Speaker(engine, rate)
    # pyttsx3 prints "Audio saved to ..." from espeak's thread, whenever it finishes: not on
    # the stdout that carries the results.
    with (
        tempfile.TemporaryDirectory(prefix="ivr-speech-", dir=SCRATCH) as scratch,
        contextlib.redirect_stdout(io.StringIO()),
    ):
        for number, job in enumerate(jobs):
            raw = Path(scratch) / f"{number}.wav"
            try:
                speaker.to_file(job["text"], raw)
                seconds = to_telephone(raw, Path(job["out"]))
                result = {"out": job["out"], "ok": True, "seconds": seconds}
            except Exception as error:  # reported per job; the parent decides what to do
                result = {
                    "out": job["out"],
                    "ok": False,
                    "error": f"{type(error).__name__}: {error}",
                }
            finally:
                raw.unlink(missing_ok=True)
            print(json.dumps(result), file=results, flush=True)


def probe(wanted_voice: str) -> dict[str, str]:
    """What would render: the engine and the voice."""
    import pyttsx3

    engine = pyttsx3.init()
    voice = choose_voice(engine, wanted_voice)
    return {"engine": engine_name(), "voice": voice}


def speak(text: str, wanted_voice: str, rate: int) -> None:
    """Say the text through the computer's speakers (for `ivr call --speak`)."""
    import pyttsx3

    engine = pyttsx3.init()
    engine.setProperty("voice", choose_voice(engine, wanted_voice))
    engine.setProperty("rate", rate)
    engine.say(text)
    engine.runAndWait()


def main() -> None:
    if sys.argv[1:2] == ["probe"]:
        print(json.dumps(probe(sys.argv[2] if len(sys.argv) > 2 else "auto")))
        return
    if sys.argv[1:2] == ["speak"]:
        speak(sys.stdin.read(), sys.argv[2], int(sys.argv[3]))
        return
    request = json.load(sys.stdin)
    if request.get("nice"):
        os.nice(int(request["nice"]))  # beside a server: its calls come first
    render(request["jobs"], request.get("voice", "auto"), int(request["rate"]))


if __name__ == "__main__":
    main()
