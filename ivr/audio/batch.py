"""One worker process at work: its jobs go in, each file's outcome comes back as soon as it is
made and checked, and a worker that stops answering is stopped."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.audio.wav import AudioError, check_wav, plausible
from ivr.content.readability import word_count


@dataclass
class Job:
    """One sound to make: a text in a voice at a rate, wanted by one or more prompts."""

    key: str
    text: str
    rate: int
    pace: str
    out: Path
    language: str = ""
    voice: str = "auto"
    prompts: list[str] = field(default_factory=list)

    @property
    def words(self) -> int:
        return word_count(self.text)


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

#: Told each job's outcome as soon as it is known (from the batch's own thread).
Report = Callable[[Job, Outcome], None]


class EngineUnavailable(RuntimeError):
    """A worker ended before its engine was ready: no engine here, or not this voice."""


def verified(job: Job) -> float:
    """The job's file length, if it is real audio of a plausible length; else AudioError."""
    seconds = check_wav(job.out)
    if not plausible(seconds, job.words):
        raise AudioError(f"{seconds:.1f} s is not a plausible length for {job.words} words")
    return seconds


def run_batch(
    batch: list[Job], timeout: float, startup: float, report: Report, nice: int = 0
) -> None:
    """Render a batch in a fresh worker, reporting each job as the worker finishes it.

    The worker has `startup` plus `timeout` seconds for its first file and `timeout` for each
    after it; past that it is stopped (a hung engine, pyttsx3 #194), and what it had not
    finished is reported as failed. Raises EngineUnavailable if it ends before its engine is
    ready, having finished nothing."""
    assert len({(job.voice, job.rate) for job in batch}) == 1, "a worker has one voice and rate"
    request = {
        "voice": batch[0].voice,
        "rate": batch[0].rate,
        "nice": nice,
        "jobs": [{"text": job.text, "out": str(job.out)} for job in batch],
    }
    pending = {str(job.out): job for job in batch}
    with (
        tempfile.TemporaryFile("w+") as errors,
        subprocess.Popen(
            [sys.executable, "-m", "ivr.audio.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        ) as process,
    ):
        lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        talk = threading.Thread(target=_talk, args=(process, json.dumps(request), lines))
        talk.start()
        try:
            ready, stopped = _follow(pending, lines, timeout, startup, report)
        finally:
            _end(process, wait=0.0 if pending else 5.0)
            talk.join()
        errors.seek(0)
        last = (errors.read().strip().splitlines() or ["the worker stopped"])[-1]
    if pending and not ready and stopped is None:
        raise EngineUnavailable(f"the speech engine cannot start: {last}")
    for job in pending.values():
        report(job, Failed(stopped or last))


def _end(process: subprocess.Popen[str], wait: float) -> None:
    """Let a worker that has finished exit by itself; stop one that has not."""
    try:
        process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _talk(process: subprocess.Popen[str], request: str, lines: queue.Queue[Any]) -> None:
    """Give the worker its jobs and pass on each line it says; None when it has ended."""
    assert process.stdin is not None and process.stdout is not None
    try:
        with process.stdin:
            process.stdin.write(request)
    except (BrokenPipeError, OSError):
        pass  # it ended early: what it said tells why
    for line in process.stdout:
        try:
            said = json.loads(line)
        except ValueError:
            continue
        if isinstance(said, dict):
            lines.put(said)
    lines.put(None)


def _follow(
    pending: dict[str, Job],
    lines: queue.Queue[dict[str, Any] | None],
    timeout: float,
    startup: float,
    report: Report,
) -> tuple[bool, str | None]:
    """Hear the worker out: whether its engine started, and why it was stopped (if it was).
    Each job it finishes leaves `pending` and is reported."""
    ready = False
    deadline = time.monotonic() + startup + timeout
    while pending:
        try:
            said = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return ready, f"the worker took longer than {timeout:.0f} s a file and was stopped"
        if said is None:
            return ready, None
        if "voice" in said:
            ready = True
            continue
        job = pending.pop(str(said.get("out")), None)
        if job is None:
            continue
        deadline = time.monotonic() + timeout
        report(job, _outcome(job, None if said.get("ok") else str(said.get("error", "failed"))))
    return ready, None


def _outcome(job: Job, error: str | None) -> Outcome:
    """A job's outcome: the worker's error, else the file as the parent checks it itself."""
    if error is not None:
        return Failed(error)
    try:
        return Rendered(verified(job))
    except AudioError as problem:
        job.out.unlink(missing_ok=True)
        return Failed(str(problem))
