"""Rendered prompt audio: names, the manifest, and what the web process plays.

A file is named by a hash of everything that changes its sound (text, voice, rate, engine), so it
never changes under its name and can be cached for a year. The manifest maps what the helpline
asks for (text, voice, rate) to the file that was rendered for it, with its length.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.audio.pace import Pace

# Where `ivr check` has always found it.
from ivr.audio.wav import words_per_minute as words_per_minute
from ivr.content.language import Languages
from ivr.content.model import PromptBook
from ivr.content.readability import word_count

MANIFEST = "manifest.json"
AUDIO_PATH = "/audio"


def request_key(text: str, voice: str, rate: int) -> str:
    """What the helpline asks for: the same text, voice and rate always give the same key."""
    return _digest({"text": text, "voice": voice, "rate": rate})


def file_name(text: str, voice: str, rate: int, engine: str) -> str:
    """The file's name: a hash of everything that changes the sound."""
    return _digest({"text": text, "voice": voice, "rate": rate, "engine": engine}) + ".wav"


def _digest(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


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
class Spoken:
    """One language's prompts and the voice they are rendered in."""

    language: str
    prompts: PromptBook
    voice: str  # as the file names hash it: an engine's voice id, or "auto:<language>"


def qualified(voice: str, language: str) -> str:
    """A voice as file names hash it: "auto" is a different voice in each language."""
    return f"auto:{language}" if voice == "auto" and language else voice


def spoken(prompts: PromptBook | Languages, tts_voice: str) -> list[Spoken]:
    """Each language's prompts with its voice, the first language first. A language is rendered
    in its own voice (`voices: render:` in its language.yaml); TTS_VOICE, unless "auto",
    overrides the first's. A single book is rendered in the voice given."""
    if isinstance(prompts, PromptBook):
        return [Spoken(prompts.language, prompts, qualified(tts_voice, prompts.language))]
    found = []
    for code in [prompts.first, *(c for c in prompts.words if c != prompts.first)]:
        voice = prompts.words[code].render_voice
        if code == prompts.first and tts_voice != "auto":
            voice = tts_voice
        found.append(Spoken(code, prompts.prompts[code], qualified(voice, code)))
    return found


@dataclass(frozen=True)
class Recording:
    """A rendered prompt at one pace."""

    file: str
    seconds: float
    words: int


@dataclass(frozen=True)
class _Wanted:
    """A recording the helpline would play, once its file is there."""

    language: str
    prompt_id: str
    pace: str
    words: int
    caption: str


class AudioLibrary:
    """Which prompts have rendered audio, in each language at each pace: what the manifest
    lists at start-up, and each file a render beside the server adds as it is checked.

    Readers never lock: an addition builds new tables and swaps them in whole."""

    def __init__(
        self,
        prompts: PromptBook | Languages,
        paces: Mapping[str, Pace],
        voice: str,
        audio_dir: Path,
        base_url: str | None,
        require_files: bool = True,
    ) -> None:
        self.base = (base_url or "").rstrip("/") or AUDIO_PATH
        self.audio_dir = audio_dir
        books = spoken(prompts, voice)
        self.first = books[0].language
        self.wanted: dict[str, list[_Wanted]] = {}  # by request key
        for book in books:
            for prompt in book.prompts.prompts.values():
                if prompt.dynamic:
                    continue  # filled in during the call: always <Say>
                words = word_count(prompt.spoken)
                for pace in paces.values():
                    key = request_key(prompt.spoken, book.voice, pace.engine_rate)
                    want = _Wanted(book.language, prompt.id, pace.name, words, prompt.text)
                    self.wanted.setdefault(key, []).append(want)
        self.languages: dict[str, dict[tuple[str, str], Recording]] = {
            book.language: {} for book in books
        }
        self.captions: dict[str, str] = {}
        self.generation = 0  # how many times recordings were added: cached TwiML goes stale
        self._lock = threading.Lock()
        entries = load_manifest(audio_dir)["entries"]
        found = {}
        for key in self.wanted:
            entry = entries.get(key)
            if not entry:
                continue
            path = audio_dir / entry["file"]
            if require_files and not (path.is_file() and path.stat().st_size == entry.get("bytes")):
                continue
            found[key] = (str(entry["file"]), float(entry["seconds"]))
        self.add(found)

    def add(self, files: Mapping[str, tuple[str, float]]) -> None:
        """Play these files from now on: (file name, seconds) by request key."""
        with self._lock:
            languages = {code: dict(found) for code, found in self.languages.items()}
            captions = dict(self.captions)
            for key, (file, seconds) in files.items():
                for want in self.wanted.get(key, ()):
                    recording = Recording(file, seconds, want.words)
                    languages[want.language][(want.prompt_id, want.pace)] = recording
                    captions[file] = want.caption
            self.languages, self.captions = languages, captions
            self.generation += 1

    @property
    def recordings(self) -> Mapping[tuple[str, str], Recording]:
        """The first language's recordings, by prompt id and pace."""
        return self.languages[self.first]

    def count(self) -> tuple[int, int]:
        """How many recordings there are, and how many the helpline would play."""
        return sum(map(len, self.languages.values())), sum(map(len, self.wanted.values()))

    def at_pace(self, name: str, language: str = "") -> dict[str, Recording]:
        """The recordings of a language (the first, unless named) at one pace, by prompt id."""
        found = self.languages.get(language or self.first, {})
        return {pid: r for (pid, pace), r in found.items() if pace == name}

    def url(self, prompt_id: str, pace: str, language: str = "") -> str | None:
        """Where Twilio can fetch a prompt's audio in a language (the first, unless named), if
        it was rendered."""
        found = self.languages.get(language or self.first, {}).get((prompt_id, pace))
        return f"{self.base}/{found.file}" if found else None

    def caption(self, url: str) -> str | None:
        """The written words of the audio at a URL, for captions and the terminal phone."""
        return self.captions.get(url.rsplit("/", 1)[-1])
