"""The terminal phone's front end (`ivr call`): the caller's keys read from a prompt, and the
words of a running server's recordings, to show as captions."""

from __future__ import annotations

from collections.abc import Callable

import requests

INPUT_PROMPT = "Keys, words, or Enter for silence (.5m: silent for 5 min; q hangs up): "


def typed_input(input_fn: Callable[[str], str]) -> Callable[[], str | None]:
    """Adapt `input()`-like functions: None (the caller hangs up) on EOF, Ctrl-C or "q"."""

    def ask() -> str | None:
        try:
            line = input_fn(INPUT_PROMPT).strip()
        except (EOFError, KeyboardInterrupt):
            return None
        return None if line.lower() in ("q", "quit") else line

    return ask


def remote_captions(base_url: str, timeout: float = 10.0) -> Callable[[str], str | None] | None:
    """The captions a running helpline publishes (/audio/captions.json), for a phone calling it
    over HTTP; None when it publishes none (or cannot be reached: the call says so itself)."""
    try:
        answer = requests.get(f"{base_url.rstrip('/')}/audio/captions.json", timeout=timeout)
        found = answer.json() if answer.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None
    if not isinstance(found, dict) or not found:
        return None
    words = {str(name): str(text) for name, text in found.items()}
    return lambda url: words.get(url.rsplit("/", 1)[-1])
