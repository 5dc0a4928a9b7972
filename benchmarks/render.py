"""How long rendering every prompt takes, beside espeak-ng's own command on the same words.

Run from the project folder (a minute or two on 2 CPUs):

    .venv/bin/python benchmarks/render.py [--runs 3]

Every offered language is rendered (LANGUAGES=en-GB,cy-GB renders Welsh too). Each run from
nothing renders into a new empty folder, two workers at a time, as `ivr prompts render` does.
Then espeak-ng's own command (`espeak-ng -v VOICE -s RATE -w FILE TEXT`) says the same texts at
the same rates in the same voices, two processes at a time, and the ratio of the two per file
is printed (the goal: at most 3). Then `ivr prompts render` is run as a user runs it, with
everything already rendered (the goal: under 1 second). Last, the audio per language and pace.
Settings come from the environment, as for `ivr prompts render`. Nothing here is a test: times
depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ivr.audio.batch import Job
from ivr.audio.library import AudioLibrary
from ivr.audio.render import WORKERS, plan, render_prompts
from ivr.audio.wav import engine_name, words_per_minute
from ivr.config import load_settings
from ivr.content.load import load_content

GOAL_RATIO = 3.0
GOAL_CACHED = 1.0


def espeak_voices(jobs: list[Job]) -> dict[str, str]:
    """The engine's voice id behind each of the render's voices ("auto:en-GB" is gmw/en)."""
    found = {}
    for voice in sorted({job.voice for job in jobs}):
        said = subprocess.run(
            [sys.executable, "-m", "ivr.audio.worker", "probe", voice],
            capture_output=True,
            text=True,
            check=True,
        )
        found[voice] = json.loads(said.stdout.splitlines()[-1])["voice"]
    return found


def espeak_command(jobs: list[Job], voices: dict[str, str], folder: Path) -> float:
    """Seconds for espeak-ng's own command to say every job, two processes at a time."""
    folder.mkdir()

    def say(job: Job) -> None:
        subprocess.run(
            [
                "espeak-ng",
                "-v",
                voices[job.voice],
                "-s",
                str(job.rate),
                "-w",
                str(folder / job.out.name),
                job.text,
            ],
            check=True,
            capture_output=True,
        )

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(say, jobs))
    return time.monotonic() - began


def cached_command(folder: Path) -> float:
    """Seconds for `ivr prompts render` to find it has nothing to do, end to end."""
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", "from ivr.cli import main; main()", "prompts", "render"],
        env={**os.environ, "AUDIO_DIR": str(folder)},
        capture_output=True,
        check=True,
    )
    return time.monotonic() - began


def verdict(met: bool) -> str:
    return "goal met" if met else "GOAL MISSED"


def runs_text(times: list[float]) -> str:
    return f"median {statistics.median(times):.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)})"


def main() -> None:
    """Render, time, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (median shown)")
    runs = parser.parse_args().runs
    settings = load_settings(dict(os.environ), development=True)
    content = load_content(
        settings.content_dir,
        settings.service_name,
        settings.nurse_line_hours,
        run_by=settings.run_by,
        offered=settings.languages,
        unreviewed=settings.languages_unreviewed,
    )
    languages, paces, voice = content.languages, settings.paces, settings.tts_voice
    jobs = plan(languages, paces, voice, engine_name(), Path())
    offered = ", ".join(dict.fromkeys(job.language for job in jobs))
    print(
        f"Render benchmark: {len(jobs)} files ({offered} x "
        f"{len(paces)} paces); Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{WORKERS} workers"
    )
    voices = espeak_voices(jobs)
    with tempfile.TemporaryDirectory(prefix="ivr-render-bench-") as scratch:
        fresh, espeak, cached = [], [], []
        folder = Path(scratch)
        for run in range(runs):
            folder = Path(scratch) / f"run{run}"
            began = time.monotonic()
            summary = render_prompts(languages, paces, voice, folder)
            fresh.append(time.monotonic() - began)
            assert summary.failed == {}, summary.lines()
            espeak.append(espeak_command(jobs, voices, Path(scratch) / f"espeak{run}"))
        for _ in range(runs):
            cached.append(cached_command(folder))
        ours, theirs = statistics.median(fresh), statistics.median(espeak)
        ratio, nothing = ours / theirs, statistics.median(cached)
        each = 1000 / len(jobs)
        print(f"  from nothing:           {runs_text(fresh)}, {ours * each:.0f} ms a file")
        print(f"  espeak-ng's command:    {runs_text(espeak)}, {theirs * each:.0f} ms a file")
        print(f"  ratio per file:         {ratio:.2f} ({verdict(ratio <= GOAL_RATIO)}: at most 3)")
        print(
            f"  `ivr prompts render` with nothing to do: {runs_text(cached)} "
            f"({verdict(nothing < GOAL_CACHED)}: under 1 s)"
        )
        audio_figures(
            summary.lines()[1:], AudioLibrary(languages, paces, voice, folder, None), folder
        )


def audio_figures(lines: list[str], library: AudioLibrary, folder: Path) -> None:
    """The audio made: per language and pace, and the largest file."""
    print("  audio (files, minutes, words a minute measured from the audio):")
    for line in lines:
        print(f"  {line}")
    largest = max(folder.glob("*.wav"), key=lambda p: p.stat().st_size)
    owner = next(
        f"{code}/{pid}"
        for code, found in library.languages.items()
        for (pid, _), r in found.items()
        if r.file == largest.name
    )
    print(f"  largest file: {largest.stat().st_size / 1024:.0f} KiB ({owner})")
    for code in library.languages:
        for pace in ("normal", "slow"):
            mine = library.at_pace(pace, code)
            rates = sorted(words_per_minute(r.words, r.seconds) for r in mine.values())
            if rates:
                print(
                    f"  {code} {pace}: per prompt {rates[0]:.0f} to {rates[-1]:.0f} words a minute"
                )


if __name__ == "__main__":
    main()
