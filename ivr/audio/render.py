"""`ivr prompts render`: every prompt of every language at every pace, in worker processes,
each file checked as it is made, and reused while nothing that changes its sound changes."""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.audio.batch import EngineUnavailable, Failed, Job, Outcome, Rendered, run_batch, verified
from ivr.audio.library import file_name, load_manifest, request_key, save_manifest, spoken
from ivr.audio.pace import Pace
from ivr.audio.wav import AudioError, engine_name, words_per_minute
from ivr.content.language import Languages
from ivr.content.model import PromptBook

WORKERS = 2
RETRIES = 2
SMALLEST_BATCH = 8
STARTUP_SECONDS = 10.0  # a worker's Python and engine start, before its first file

#: Told of each file as soon as it is checked, made now or found made before.
Ready = Callable[[Job, float], None]


@dataclass
class Made:
    """The audio of one language at one pace: its files, their length and their words."""

    files: int = 0
    seconds: float = 0.0
    words: int = 0

    def add(self, job: Job, seconds: float) -> None:
        self.files += 1
        self.seconds += seconds
        self.words += job.words


@dataclass
class Summary:
    """What a render did."""

    rendered: int = 0
    reused: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # "language/prompt id (pace)" -> why
    audio: dict[tuple[str, str], Made] = field(default_factory=dict)  # by language and pace
    elapsed: float = 0.0
    engine: str = ""

    def lines(self) -> list[str]:
        lines = [
            f"Rendered {self.rendered}, reused {self.reused}, failed {len(self.failed)} "
            f"in {self.elapsed:.1f} s ({self.engine or 'no engine'})."
        ]
        for (language, pace), made in self.audio.items():
            rate = words_per_minute(made.words, made.seconds) if made.files else 0.0
            lines.append(
                f"  {language or 'prompts'} {pace}: {made.files} files, "
                f"{made.seconds / 60:.1f} min of audio, {rate:.0f} words a minute"
            )
        by_why: dict[str, list[str]] = {}
        for what, why in sorted(self.failed.items()):
            by_why.setdefault(why, []).append(what)
        for why, whats in by_why.items():
            # A missing engine or voice fails hundreds alike: one line says it.
            if len(whats) > 3:
                lines.append(f"  failed: {len(whats)} prompts ({whats[0]} and others): {why}")
            else:
                lines += [f"  failed: {what}: {why}" for what in whats]
        if self.failed:
            lines.append("  The helpline reads these with Twilio's <Say> instead.")
        return lines


def plan(
    prompts: PromptBook | Languages,
    paces: Mapping[str, Pace],
    voice: str,
    engine: str,
    audio_dir: Path,
) -> list[Job]:
    """One job per distinct (spoken text, voice, rate): prompts that say the same share a file.
    The first language comes first, at the normal pace: what a first caller hears."""
    jobs: dict[str, Job] = {}
    for book in spoken(prompts, voice):
        for pace in paces.values():
            for prompt in book.prompts.prompts.values():
                if prompt.dynamic:
                    continue  # filled in during the call: always <Say>
                key = request_key(prompt.spoken, book.voice, pace.engine_rate)
                if key not in jobs:
                    name = file_name(prompt.spoken, book.voice, pace.engine_rate, engine)
                    jobs[key] = Job(
                        key,
                        prompt.spoken,
                        pace.engine_rate,
                        pace.name,
                        audio_dir / name,
                        book.language,
                        book.voice,
                    )
                jobs[key].prompts.append(prompt.id)
    return list(jobs.values())


def _out_of_pace(jobs: list[Job], seconds: Mapping[str, float]) -> list[Job]:
    """Texts whose slower rendering is not clearly longer, or far too much longer: a rate that
    did not take (the engine applies rate changes in a thread of its own, and lost ones were
    seen here: a whole batch at espeak's default rate of 200)."""
    by_text: dict[tuple[str, str], list[Job]] = {}
    for job in jobs:
        if job.key in seconds:
            by_text.setdefault((job.voice, job.text), []).append(job)
    wrong: list[Job] = []
    for same in by_text.values():
        same.sort(key=lambda job: -job.rate)
        for faster, slower in itertools.pairwise(same):
            # Rate and length go roughly in inverse proportion (here within 0.1 of it): allow
            # from half to twice the difference.
            expected = faster.rate / slower.rate - 1
            ratio = seconds[slower.key] / seconds[faster.key]
            if not 1 + expected / 2 <= ratio <= 1 + expected * 2:
                wrong += [job for job in (faster, slower) if job not in wrong]
    return wrong


def _batches(jobs: list[Job], size: int) -> Iterable[list[Job]]:
    """Batches of up to `size` jobs, each in one voice at one rate, in the order planned."""
    groups: dict[tuple[str, int], list[Job]] = {}
    for job in jobs:
        groups.setdefault((job.voice, job.rate), []).append(job)
    for same in groups.values():
        for start in range(0, len(same), size):
            yield same[start : start + size]


@dataclass(frozen=True)
class Limits:
    """How a render may use the machine: workers at once, the time each file may take (after a
    worker's start), and how much to lower the workers' priority."""

    workers: int = WORKERS
    timeout: float = 10.0
    startup: float = STARTUP_SECONDS
    nice: int = 0


class _Run:
    """One render's jobs and what has become of them: each file's length once it is checked,
    why the others failed, and which were made in this run (the rest are reused)."""

    def __init__(
        self, jobs: list[Job], progress: Callable[[int], None] | None, ready: Ready | None
    ) -> None:
        self.jobs = jobs
        self.seconds: dict[str, float] = {}  # job key -> length of its checked file
        self.made: set[str] = set()
        self.errors: dict[str, str] = {}
        self.broken: dict[str, str] = {}  # voice -> why no worker could start it
        self.progress = progress
        self.ready = ready
        self.counted: set[str] = set()
        self.lock = threading.Lock()

    def to_do(self) -> list[Job]:
        """The jobs whose file is missing, broken or out of pace; the others are reused."""
        todo = []
        for job in self.jobs:
            try:
                self.seconds[job.key] = verified(job)
            except AudioError:
                todo.append(job)
        todo += self.drop_out_of_pace()
        for job in self.jobs:
            if job.key in self.seconds:
                self.settle(job)
        return todo

    def settle(self, job: Job) -> None:
        """Count a job as done for the progress bar once, and pass on a file that is ready."""
        if job.key in self.counted:
            return
        self.counted.add(job.key)
        if self.progress:
            self.progress(1)
        if self.ready and job.key in self.seconds:
            self.ready(job, self.seconds[job.key])

    def drop_out_of_pace(self) -> list[Job]:
        """Forget the files whose lengths show their rate did not take; their jobs, to redo. The
        files stay until new ones replace them: a render beside the server may be playing them."""
        wrong = _out_of_pace(self.jobs, self.seconds)
        for job in wrong:
            self.errors[job.key] = "its length does not match its rate (the rate did not take)"
            self.seconds.pop(job.key, None)
            self.counted.discard(job.key)
        return wrong

    def render(self, todo: list[Job], limits: Limits) -> list[Job]:
        """Render `todo`, retrying what fails; the jobs that still failed."""
        size = max(SMALLEST_BATCH, math.ceil(len(todo) / (2 * limits.workers)))
        for _attempt in range(RETRIES + 1):
            if not todo:
                break
            todo = self.attempt(todo, size, limits)
            # A retry goes one job a worker, so one bad job harms no other.
            size = 1
            if not todo:
                todo = self.drop_out_of_pace()
        return todo

    def attempt(self, todo: list[Job], size: int, limits: Limits) -> list[Job]:
        """One pass over `todo` in batches of `size`, `limits.workers` at a time; the jobs that
        failed."""
        failed: list[Job] = []

        def report(job: Job, outcome: Outcome) -> None:
            with self.lock:
                match outcome:
                    case Rendered(seconds):
                        self.seconds[job.key] = seconds
                        self.made.add(job.key)
                        self.errors.pop(job.key, None)
                        self.settle(job)
                    case Failed(why):
                        self.errors[job.key] = why
                        failed.append(job)

        def run(batch: list[Job]) -> None:
            why = self.broken.get(batch[0].voice)
            if why is None:
                try:
                    run_batch(batch, limits.timeout, limits.startup, report, limits.nice)
                    return
                except EngineUnavailable as error:
                    why = self.broken.setdefault(batch[0].voice, str(error))
            for job in batch:
                report(job, Failed(why))

        with ThreadPoolExecutor(max_workers=limits.workers) as pool:
            for future in as_completed([pool.submit(run, b) for b in _batches(todo, size)]):
                future.result()
        # No worker can start a broken voice: its jobs are not tried again.
        return [job for job in failed if job.voice not in self.broken]

    def summarise(self, summary: Summary) -> None:
        """What the run made, reused and could not make, in `summary`."""
        for job in self.jobs:
            if job.key not in self.seconds:
                why = self.errors.get(job.key) or self.broken.get(job.voice, "not rendered")
                for prompt_id in job.prompts:
                    where = f"{job.language}/{prompt_id}" if job.language else prompt_id
                    summary.failed[f"{where} ({job.pace})"] = why
            self.settle(job)
        summary.rendered = len(self.made & set(self.seconds))
        summary.reused = len(set(self.seconds) - self.made)

    def record(self, manifest: dict[str, Any], summary: Summary) -> None:
        """Every checked file into the manifest (the others out of it), and its audio into
        `summary`."""
        entries = manifest.setdefault("entries", {})
        for job in self.jobs:
            if job.key in self.seconds:
                entries[job.key] = {
                    "file": job.out.name,
                    "seconds": round(self.seconds[job.key], 3),
                    "bytes": job.out.stat().st_size,
                    "words": job.words,
                }
                summary.audio[(job.language, job.pace)].add(job, self.seconds[job.key])
            else:
                entries.pop(job.key, None)


def render_prompts(
    prompts: PromptBook | Languages,
    paces: Mapping[str, Pace],
    voice: str,
    audio_dir: Path,
    workers: int = WORKERS,
    timeout: float = 10.0,
    progress: Callable[[int], None] | None = None,
    startup: float = STARTUP_SECONDS,
    ready: Ready | None = None,
    nice: int = 0,
) -> Summary:
    """Render what is missing in every language, reuse what is there, retry what fails, and
    write the manifest. `voice` is TTS_VOICE: it overrides the first language's own voice
    unless it is "auto"; a single book is rendered in it.

    `timeout` is per file: a worker is stopped when a file takes longer (its first file may
    take `startup` more). `ready` is told of each file as soon as it is checked."""
    began = time.monotonic()
    audio_dir.mkdir(parents=True, exist_ok=True)
    engine = engine_name()
    jobs = plan(prompts, paces, voice, engine, audio_dir)
    summary = Summary(engine=engine, audio={(j.language, j.pace): Made() for j in jobs})
    manifest = load_manifest(audio_dir)
    if not _all_rendered(jobs, engine, manifest, summary):
        run = _Run(jobs, progress, ready)
        run.render(run.to_do(), Limits(workers, timeout, startup, nice))
        run.summarise(summary)
        run.record(manifest, summary)
        if not run.made and run.broken:
            summary.engine = ""  # nothing here could speak
        manifest.update(engine=engine, voices=sorted({job.voice for job in jobs}))
        save_manifest(audio_dir, manifest)
    summary.elapsed = time.monotonic() - began
    return summary


def _all_rendered(
    jobs: list[Job], engine: str, manifest: Mapping[str, Any], summary: Summary
) -> bool:
    """Whether every file is already rendered by the engine installed now, each there at the
    size the manifest recorded when it was checked: then there is nothing to do, and no
    engine to start (most of a render with nothing to do)."""
    if manifest.get("engine") != engine:
        return False
    entries = manifest["entries"]
    for job in jobs:
        entry = entries.get(job.key)
        if entry is None or entry.get("file") != job.out.name:
            return False
        try:
            if job.out.stat().st_size != entry.get("bytes"):
                return False
        except OSError:
            return False
    summary.reused = len(jobs)
    for job in jobs:
        summary.audio[(job.language, job.pace)].add(job, float(entries[job.key]["seconds"]))
    return True
