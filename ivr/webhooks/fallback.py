"""What a caller hears when the helpline itself has failed: an apology, then a person.

This depends on nothing but the settings, the prompts and the language's own words (where
they loaded), so that it still works when the flow could not be built or the engine raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

from twilio.twiml.voice_response import VoiceResponse

from ivr.config import Settings
from ivr.content.language import Language
from ivr.content.load import load_first_language
from ivr.content.model import SAFETY_PROMPT, PromptBook
from ivr.webhooks.paths import WebhookPaths


class Fallback:
    """The three answers of the Fallback URL, built once at start-up from settings and prompts
    (and the webhooks' paths: a call to the nurse line comes back to the Fallback URL)."""

    def __init__(
        self,
        settings: Settings,
        prompts: PromptBook | None,
        paths: WebhookPaths,
        language: Language | None = None,
        others: Mapping[str, tuple[PromptBook, Language]] | None = None,
    ) -> None:
        """`paths`: where Twilio goes next (a call to the nurse line comes back here).
        `language` is the one calls start in (its code, and its last resort). Without it, it is
        read from the content folder on its own: with no prompts (they could not be read) the
        caller still hears an apology and the safety message, not silence.
        `others`: each other language the line offers, with its prompts, for calls in it."""
        self.settings = settings
        self.paths = paths
        language = language or load_first_language(settings.content_dir)
        self.language = language.code
        self.sorry = language.last_resort.sorry
        # In the words `ivr check` keeps the same as safety.message's spoken form.
        self.last_resort = {SAFETY_PROMPT: language.last_resort.safety}
        self.documents = {
            "answered": self._answered(prompts),
            "ring": self._ring(prompts),
            "closed": self._closed(prompts),
        }
        # A call in another language fails in it too: the same answers, in its words and voice.
        self.in_language = {
            code: Fallback(replace(settings, say_voice=words.say_voice), book, paths, words)
            for code, (book, words) in (others or {}).items()
        }

    def in_(self, code: str) -> Fallback:
        """The Fallback in a language the line offers (this one for "" or any other)."""
        return self.in_language.get(code, self)

    def _say(self, response: VoiceResponse, prompts: PromptBook | None, prompt_id: str) -> None:
        if prompts and prompt_id in prompts:
            text = prompts[prompt_id].spoken
        else:
            text = self.last_resort.get(prompt_id, self.sorry)
        response.say(text, voice=self.settings.say_voice, language=self.language)

    def twiml(self, now: dt.datetime, dial_status: str | None) -> str:
        """Apologise and put the caller through; when that cannot happen, the safety message."""
        if dial_status == "completed":
            return self.documents["answered"]
        number, hours = self.settings.nurse_line_number, self.settings.nurse_line_hours
        if dial_status is None and number and hours.is_open(now):
            return self.documents["ring"]
        return self.documents["closed"]

    def _answered(self, prompts: PromptBook | None) -> str:
        response = VoiceResponse()
        self._say(response, prompts, "system.after_call")
        response.hangup()
        return str(response)

    def _ring(self, prompts: PromptBook | None) -> str:
        response = VoiceResponse()
        self._say(response, prompts, "system.fallback")
        dial = response.dial(
            action=self.paths.fallback_dialled,
            method="POST",
            timeout=self.settings.dial_timeout,
            answer_on_bridge=True,
        )
        dial.number(self.settings.nurse_line_number or "")
        return str(response)

    def _closed(self, prompts: PromptBook | None) -> str:
        # Closed, or nobody answered: an apology, the safety message twice, when to call again,
        # then goodbye; going round again could loop for ever while the helpline is broken.
        response = VoiceResponse()
        self._say(response, prompts, "system.fallback_closed")
        self._say(response, prompts, SAFETY_PROMPT)
        response.pause(length=1)
        self._say(response, prompts, SAFETY_PROMPT)
        if prompts and "system.call_again" in prompts:
            self._say(response, prompts, "system.call_again")
        response.hangup()
        return str(response)
