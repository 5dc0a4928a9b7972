"""`ivr prompts render`: every prompt at every pace, in worker processes, checked and reused."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.audio.library import (
    AudioError,
    check_wav,
    engine_name,
    file_name,
    load_manifest,
    plausible,
    request_key,
    save_manifest,
)
from ivr.audio.pace import Pace
from ivr.content.model import PromptBook
from ivr.content.readability import word_count

BATCH = 8
WORKERS = 2
RETRIES = 2
STARTUP_SECONDS = 10.0  # a worker's Python and engine start, before its first job


@dataclass
class Job:
    """One sound to make: a text at a rate, wanted by one or more prompts."""

    key: str
    text: str
    rate: int
    pace: str
    out: Path
    prompts: list[str] = field(default_factory=list)

    @property
    def words(self) -> int:
        return word_count(self.text)


@dataclass
class Summary:
    """What a render did."""

    rendered: int = 0
    reused: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # prompt id (pace) -> why
    seconds: dict[str, float] = field(default_factory=dict)  # audio per pace
    elapsed: float = 0.0
    engine: str = ""

    def lines(self) -> list[str]:
        audio = ", ".join(f"{pace} {secs / 60:.1f} min" for pace, secs in self.seconds.items())
        lines = [
            f"Rendered {self.rendered}, reused {self.reused}, failed {len(self.failed)} "
            f"in {self.elapsed:.1f} s ({self.engine or 'no engine'}). Audio: {audio}."
        ]
        lines += [f"  failed: {what}: {why}" for what, why in sorted(self.failed.items())]
        if self.failed:
            lines.append("  The helpline reads these with Twilio's <Say> instead.")
        return lines


def probe_engine(voice: str, timeout: float) -> dict[str, str]:
    """Ask a worker which engine and voice would render; raises RuntimeError when none can."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ivr.audio.worker", "probe", voice],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"the speech engine did not answer in {timeout:.0f} s") from error
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"the speech engine cannot start: {last}")
    found: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def plan(
    prompts: PromptBook, paces: Mapping[str, Pace], voice: str, engine: str, audio_dir: Path
) -> list[Job]:
    """One job per distinct (spoken text, rate): prompts that say the same share a file."""
    jobs: dict[str, Job] = {}
    for prompt in prompts.prompts.values():
        if prompt.dynamic:
            continue  # filled in during the call: always <Say>
        for pace in paces.values():
            key = request_key(prompt.spoken, voice, pace.engine_rate)
            if key not in jobs:
                name = file_name(prompt.spoken, voice, pace.engine_rate, engine)
                jobs[key] = Job(key, prompt.spoken, pace.engine_rate, pace.name, audio_dir / name)
            jobs[key].prompts.append(prompt.id)
    return list(jobs.values())


def _verified(job: Job) -> float:
    """The job's file length, if it is real audio of a plausible length; else AudioError."""
    seconds = check_wav(job.out)
    if not plausible(seconds, job.words):
        raise AudioError(f"{seconds:.1f} s is not a plausible length for {job.words} words")
    return seconds


def _out_of_pace(jobs: list[Job], seconds: Mapping[str, float]) -> list[Job]:
    """Texts whose slower rendering is not clearly longer: a rate that did not take (the
    engine applies rate changes asynchronously, and a lost one was seen here once)."""
    by_text: dict[str, list[Job]] = {}
    for job in jobs:
        if job.key in seconds:
            by_text.setdefault(job.text, []).append(job)
    wrong: list[Job] = []
    for same in by_text.values():
        same.sort(key=lambda job: -job.rate)
        for faster, slower in itertools.pairwise(same):
            # Rate and length go roughly in inverse proportion; allow half of the difference.
            expected = 1 + (faster.rate / slower.rate - 1) / 2
            if seconds[slower.key] < seconds[faster.key] * expected:
                wrong += [job for job in (faster, slower) if job not in wrong]
    return wrong


@dataclass(frozen=True)
class Rendered:
    """A job's file is made and checked: real audio of a plausible length."""

    seconds: float


@dataclass(frozen=True)
class Failed:
    """A job's file could not be made, and why."""

    why: str


#: What a worker made of one job.
Outcome = Rendered | Failed


def _run_batch(batch: list[Job], voice: str, timeout: float) -> dict[str, Outcome]:
    """Render a batch in a fresh worker; what became of each job, by its file."""
    rates = {job.rate for job in batch}
    assert len(rates) == 1, "a worker renders at one rate"
    request = {
        "voice": voice,
        "rate": rates.pop(),
        "jobs": [{"text": j.text, "out": str(j.out)} for j in batch],
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "ivr.audio.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(json.dumps(request), timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()  # a hung engine (pyttsx3 #194): what finished still counts
        stdout, stderr = process.communicate()
        stderr = f"the worker took longer than {timeout:.0f} s and was stopped"
    reported = _reported(stdout)
    stopped = (stderr.strip().splitlines() or ["the worker stopped"])[-1]
    return {str(job.out): _outcome(job, reported.get(str(job.out), stopped)) for job in batch}


def _reported(stdout: str) -> dict[str, str | None]:
    """What the worker said of each file it finished: None when made, else why not."""
    reported: dict[str, str | None] = {}
    for line in stdout.splitlines():
        try:
            said = json.loads(line)
        except ValueError:
            continue
        reported[said["out"]] = None if said.get("ok") else str(said.get("error", "failed"))
    return reported


def _outcome(job: Job, error: str | None) -> Outcome:
    """A job's outcome: the worker's error, else the file as the parent checks it itself."""
    if error is not None:
        return Failed(error)
    try:
        return Rendered(_verified(job))
    except AudioError as problem:
        job.out.unlink(missing_ok=True)
        return Failed(str(problem))


def _batches(jobs: list[Job], size: int) -> Iterable[list[Job]]:
    """Batches of up to `size` jobs, each at a single rate."""
    for rate in sorted({job.rate for job in jobs}):
        same = [job for job in jobs if job.rate == rate]
        for start in range(0, len(same), size):
            yield same[start : start + size]


#: How long a worker may take for a batch, in seconds.
Deadline = Callable[[list[Job]], float]


class _Run:
    """One render's jobs and what has become of them: each file's length once it is checked,
    why the others failed, and which were made in this run (the rest are reused)."""

    def __init__(self, jobs: list[Job], progress: Callable[[int], None] | None) -> None:
        self.jobs = jobs
        self.seconds: dict[str, float] = {}  # job key -> length of its checked file
        self.made: set[str] = set()
        self.errors: dict[str, str] = {}
        self.progress = progress
        self.counted: set[str] = set()

    def to_do(self) -> list[Job]:
        """The jobs whose file is missing, broken or out of pace; the others are reused."""
        todo = []
        for job in self.jobs:
            try:
                self.seconds[job.key] = _verified(job)
            except AudioError:
                todo.append(job)
        todo += self.drop_out_of_pace()
        for job in self.jobs:
            if job.key in self.seconds:
                self.settle(job)
        return todo

    def settle(self, job: Job) -> None:
        """Count a job as done for the progress bar, once."""
        if self.progress and job.key not in self.counted:
            self.counted.add(job.key)
            self.progress(1)

    def drop_out_of_pace(self) -> list[Job]:
        """Remove the files whose lengths show their rate did not take; their jobs, to redo."""
        wrong = _out_of_pace(self.jobs, self.seconds)
        for job in wrong:
            self.errors[job.key] = "its length does not match its rate (the rate did not take)"
            self.seconds.pop(job.key, None)
            job.out.unlink(missing_ok=True)
        return wrong

    def render(self, todo: list[Job], voice: str, workers: int, deadline: Deadline) -> list[Job]:
        """Render `todo`, retrying what fails; the jobs that still failed."""
        for attempt in range(RETRIES + 1):
            if not todo:
                break
            # First in batches; a retry goes one job a worker, so one bad job harms no other.
            todo = self.attempt(todo, BATCH if attempt == 0 else 1, voice, workers, deadline)
            if not todo:
                todo = self.drop_out_of_pace()
        return todo

    def attempt(
        self, todo: list[Job], size: int, voice: str, workers: int, deadline: Deadline
    ) -> list[Job]:
        """One pass over `todo` in batches of `size`, `workers` at a time; the jobs that failed."""
        by_out = {str(job.out): job for job in todo}
        failed = []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(_run_batch, batch, voice, deadline(batch))
                for batch in _batches(list(by_out.values()), size)
            ]
            for future in as_completed(futures):
                for out, outcome in future.result().items():
                    job = by_out[out]
                    match outcome:
                        case Rendered(seconds):
                            self.seconds[job.key] = seconds
                            self.made.add(job.key)
                            self.errors.pop(job.key, None)
                        case Failed(why):
                            self.errors[job.key] = why
                            failed.append(job)
        return failed

    def summarise(self, failed: list[Job], summary: Summary) -> None:
        """What the run made, reused and could not make, in `summary`."""
        for job in failed:
            for prompt_id in job.prompts:
                summary.failed[f"{prompt_id} ({job.pace})"] = self.errors.get(
                    job.key, "not rendered"
                )
        for job in self.jobs:
            self.settle(job)
        summary.rendered = len(self.made & set(self.seconds))
        summary.reused = len(set(self.seconds) - self.made)

    def record(self, manifest: dict[str, Any], summary: Summary) -> None:
        """Every checked file into the manifest (the others out of it), and its audio's length
        into `summary`."""
        entries = manifest.setdefault("entries", {})
        for job in self.jobs:
            if job.key in self.seconds:
                entries[job.key] = {
                    "file": job.out.name,
                    "seconds": round(self.seconds[job.key], 3),
                    "bytes": job.out.stat().st_size,
                    "words": job.words,
                }
                summary.seconds[job.pace] += self.seconds[job.key] * len(job.prompts)
            else:
                entries.pop(job.key, None)


def render_prompts(
    prompts: PromptBook,
    paces: Mapping[str, Pace],
    voice: str,
    audio_dir: Path,
    workers: int = WORKERS,
    timeout: float = 10.0,
    progress: Callable[[int], None] | None = None,
    startup: float = STARTUP_SECONDS,
) -> Summary:
    """Render what is missing, reuse what is there, retry what fails, and write the manifest.

    `timeout` is per job: a worker is stopped after `startup` plus that for each of its jobs.
    """
    began = time.monotonic()
    audio_dir.mkdir(parents=True, exist_ok=True)
    summary = Summary(seconds={name: 0.0 for name in paces})
    manifest = load_manifest(audio_dir)
    if _all_rendered(prompts, paces, voice, audio_dir, manifest, summary):
        summary.elapsed = time.monotonic() - began
        return summary
    try:
        found = probe_engine(voice, STARTUP_SECONDS + timeout)  # the probe always gets time
    except RuntimeError as error:
        return _without_engine(
            prompts, paces, voice, audio_dir, manifest, summary, str(error), began
        )
    summary.engine = found["engine"]
    run = _Run(plan(prompts, paces, voice, found["engine"], audio_dir), progress)
    failed = run.render(run.to_do(), voice, workers, lambda batch: startup + timeout * len(batch))
    run.summarise(failed, summary)
    run.record(manifest, summary)
    manifest.update(engine=found["engine"], voice=found["voice"])
    save_manifest(audio_dir, manifest)
    summary.elapsed = time.monotonic() - began
    return summary


def _all_rendered(
    prompts: PromptBook,
    paces: Mapping[str, Pace],
    voice: str,
    audio_dir: Path,
    manifest: Mapping[str, Any],
    summary: Summary,
) -> bool:
    """Whether every prompt is already rendered by the engine installed now, each file there at
    the size the manifest recorded when it was checked: then there is nothing to do, and no
    engine to start (a second or more, most of a render with nothing to do)."""
    engine = engine_name()
    if manifest.get("engine") != engine:
        return False
    entries = manifest["entries"]
    jobs = plan(prompts, paces, voice, engine, audio_dir)
    for job in jobs:
        entry = entries.get(job.key)
        if entry is None or entry.get("file") != job.out.name:
            return False
        try:
            if job.out.stat().st_size != entry.get("bytes"):
                return False
        except OSError:
            return False
    summary.engine = engine
    summary.reused = len(jobs)
    for job in jobs:
        summary.seconds[job.pace] += float(entries[job.key]["seconds"]) * len(job.prompts)
    return True


def _without_engine(
    prompts: PromptBook,
    paces: Mapping[str, Pace],
    voice: str,
    audio_dir: Path,
    manifest: dict[str, object],
    summary: Summary,
    why: str,
    began: float,
) -> Summary:
    """No engine here: keep what was rendered before; everything else falls back to <Say>."""
    entries = manifest.get("entries", {})
    assert isinstance(entries, dict)
    for prompt in prompts.prompts.values():
        if prompt.dynamic:
            continue
        for pace in paces.values():
            entry = entries.get(request_key(prompt.spoken, voice, pace.engine_rate))
            if entry and (audio_dir / entry["file"]).is_file():
                summary.reused += 1
                summary.seconds[pace.name] += float(entry["seconds"])
            else:
                summary.failed[f"{prompt.id} ({pace.name})"] = why
    summary.elapsed = time.monotonic() - began
    return summary
