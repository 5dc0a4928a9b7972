"""Speak prompts into telephone WAV files with pyttsx3. Runs in a worker process.

pyttsx3 can hang in a loop of runAndWait calls and can return before espeak has written the
file (pyttsx3 #194, #219), so this runs as `python -m ivr.audio.worker` under a parent that enforces
a timeout, and every file is checked here (and again by the parent) before it counts.

Input on stdin: {"voice": "auto" or a voice id, "rate": engine rate, "jobs": [{"text", "out"}]}.
One rate a worker: espeak-ng applies a rate change at once, so a change made while pyttsx3 is
still finishing the previous utterance reaches the wrong file (seen here with pyttsx3 2.99).
Output on stdout: one JSON line per job, {"out", "ok", "seconds" or "error"}, as each finishes.
`python -m ivr.audio.worker probe` prints the engine's name and version and the voice it would use;
`python -m ivr.audio.worker speak VOICE RATE` says stdin through the speakers.
"""

from __future__ import annotations

import contextlib
import io
import json
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

from ivr.audio.library import SAMPLE_RATE, SAMPLE_WIDTH, engine_name

FILE_WAIT_SECONDS = 5.0


def choose_voice(engine: Any, wanted: str) -> str:
    """The voice id to use: the one asked for, else British English, else any English."""
    voices = engine.getProperty("voices")
    ids = [v.id for v in voices]
    if wanted != "auto":
        if wanted not in ids:
            raise ValueError(f"TTS_VOICE={wanted!r} is not one of this engine's voices")
        return wanted

    def languages(voice: Any) -> list[str]:
        return [
            (lang.decode() if isinstance(lang, bytes) else str(lang)).lower()
            for lang in (voice.languages or [])
        ]

    tests: list[Callable[[Any], bool]] = [
        lambda v: "en-gb" in languages(v),
        lambda v: "en_gb" in v.id.lower(),
        lambda v: any(lang.startswith("en") for lang in languages(v)),
        lambda v: "english" in (v.name or "").lower(),
    ]
    for test in tests:
        for voice in voices:
            if test(voice):
                return str(voice.id)
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


def _wait_for_file(path: Path) -> None:
    """pyttsx3 may return before the file is complete: wait until its size stops changing."""
    deadline = time.monotonic() + FILE_WAIT_SECONDS
    last = -1
    while time.monotonic() < deadline:
        size = path.stat().st_size if path.exists() else -1
        if size > 44 and size == last:
            return
        last = size
        time.sleep(0.05)
    raise TimeoutError(f"the engine did not finish writing {path.name}")


def render(jobs: list[dict[str, Any]], wanted_voice: str, rate: int) -> None:
    """Render each job at one rate, reporting each as it finishes."""
    import pyttsx3

    engine = pyttsx3.init()
    engine.setProperty("voice", choose_voice(engine, wanted_voice))
    engine.setProperty("rate", rate)
    # runAndWait can return before the utterance is done, and the next rate change would then
    # reach it (pyttsx3 #219): wait for the engine to say it has finished each one.
    finished = threading.Event()
    engine.connect("finished-utterance", lambda name, completed: finished.set())
    with tempfile.TemporaryDirectory(prefix="ivr-speech-") as scratch:
        for number, job in enumerate(jobs):
            raw = Path(scratch) / f"{number}.wav"
            try:
                finished.clear()
                # pyttsx3 prints "Audio saved to ..." on stdout, which carries our results.
                with contextlib.redirect_stdout(io.StringIO()):
                    engine.save_to_file(job["text"], str(raw))
                    engine.runAndWait()
                if not finished.wait(FILE_WAIT_SECONDS):
                    raise TimeoutError("the engine never said it had finished")
                _wait_for_file(raw)
                seconds = to_telephone(raw, Path(job["out"]))
                result = {"out": job["out"], "ok": True, "seconds": seconds}
            except Exception as error:  # reported per job; the parent decides what to do
                result = {
                    "out": job["out"],
                    "ok": False,
                    "error": f"{type(error).__name__}: {error}",
                }
            print(json.dumps(result), flush=True)


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
    render(request["jobs"], request.get("voice", "auto"), int(request["rate"]))


if __name__ == "__main__":
    main()
