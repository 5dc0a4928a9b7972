"""How long rendering every prompt takes, from nothing and from cache, and what it makes.

Run from the project folder (about a minute on 2 CPUs):

    .venv/bin/python benchmarks/render.py [--runs 3]

Each run from nothing renders into a new empty folder; each run from cache renders again into the
last of them. It prints the median of each, then the prompts, the audio per pace, the largest file
and the words a minute measured at each pace. Settings come from the environment, as for
`ivr prompts render`. Nothing here is a test: times depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from ivr.audio.library import AudioLibrary, words_per_minute
from ivr.audio.render import render_prompts
from ivr.config import load_settings
from ivr.content.load import load_content


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
    )
    prompts = content.prompts
    print(
        f"Render benchmark: {len(prompts.prompts)} prompts x {len(settings.paces)} paces; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, 2 workers"
    )
    with tempfile.TemporaryDirectory(prefix="ivr-render-bench-") as scratch:
        fresh, cached = [], []
        folder = Path(scratch)
        for run in range(runs):
            folder = Path(scratch) / f"run{run}"
            began = time.monotonic()
            summary = render_prompts(prompts, settings.paces, settings.tts_voice, folder)
            fresh.append(time.monotonic() - began)
            assert summary.failed == {}, summary.lines()
        for _ in range(runs):
            began = time.monotonic()
            summary = render_prompts(prompts, settings.paces, settings.tts_voice, folder)
            cached.append(time.monotonic() - began)
            assert summary.rendered == 0, summary.lines()
        print(
            f"  from nothing: median {statistics.median(fresh):.1f} s "
            f"(runs: {', '.join(f'{t:.1f}' for t in fresh)})"
        )
        print(
            f"  from cache:   median {statistics.median(cached):.2f} s "
            f"(runs: {', '.join(f'{t:.2f}' for t in cached)})"
        )
        library = AudioLibrary(prompts, settings.paces, settings.tts_voice, folder, None)
        largest = max(folder.glob("*.wav"), key=lambda p: p.stat().st_size)
        owner = next(pid for (pid, _), r in library.recordings.items() if r.file == largest.name)
        print(f"  largest file: {largest.stat().st_size / 1024:.0f} KiB ({owner})")
        for pace in settings.paces.values():
            mine = library.at_pace(pace.name)
            rates = sorted(words_per_minute(r.words, r.seconds) for r in mine.values())
            total = sum(r.seconds for r in mine.values())
            overall = words_per_minute(sum(r.words for r in mine.values()), total)
            print(
                f"  {pace.name} (engine rate {pace.engine_rate}): {total / 60:.1f} min of "
                f"audio, {overall:.0f} words a minute overall (limit "
                f"{pace.max_words_per_minute}), per prompt {rates[0]:.0f} to {rates[-1]:.0f}"
            )


if __name__ == "__main__":
    main()
