"""Rendering beside the server (`ivr serve`): the helpline answers at once, speaking with <Say>
what is not rendered yet, and plays each recording as soon as its file is checked."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from ivr.audio.batch import Job
from ivr.audio.library import AudioLibrary
from ivr.audio.pace import Pace
from ivr.audio.render import plan, render_prompts
from ivr.audio.wav import engine_name
from ivr.content.language import Languages

# Calls come first: the workers run at a lower priority than the server.
NICE = 10
STEPS = 10  # the terminal hears how far rendering has got at each tenth


class BackgroundRender:
    """Render every language's prompts into the library's folder, adding each file to the
    library as it is checked, and say how far it has got."""

    def __init__(
        self,
        languages: Languages,
        paces: Mapping[str, Pace],
        voice: str,
        library: AudioLibrary,
        say: Callable[[str], None],
    ) -> None:
        self.languages = languages
        self.paces = paces
        self.voice = voice
        self.library = library
        self.say = say
        self.done = 0
        self.total = 0
        self.finished = threading.Event()

    @property
    def audio_dir(self) -> Path:
        return self.library.audio_dir

    def start(self) -> threading.Thread:
        """Begin in a thread of its own (a daemon: stopping the server stops it)."""
        thread = threading.Thread(target=self.run, name="render", daemon=True)
        thread.start()
        return thread

    def run(self) -> None:
        """Render, then say what was made."""
        try:
            jobs = plan(self.languages, self.paces, self.voice, engine_name(), self.audio_dir)
            self.total = len(jobs)
            have, wanted = self.library.count()
            if have < wanted:
                self.say(
                    f"Rendering prompt audio beside the server: {have} of {wanted} recordings "
                    "ready; until its recording is, a prompt is spoken with <Say>."
                )
            summary = render_prompts(
                self.languages,
                self.paces,
                self.voice,
                self.audio_dir,
                progress=self.progress,
                ready=self.ready,
                nice=NICE,
            )
            self.say("\n".join(summary.lines()))
        finally:
            self.finished.set()

    def ready(self, job: Job, seconds: float) -> None:
        """A checked file: play it from now on."""
        self.library.add({job.key: (job.out.name, seconds)})

    def progress(self, count: int) -> None:
        """Count files done, and say so at each tenth of the way."""
        before, self.done = self.done, self.done + count
        if self.total and before * STEPS // self.total < self.done * STEPS // self.total:
            self.say(f"Prompt audio: {self.done} of {self.total} files rendered.")
