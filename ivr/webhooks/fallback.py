"""What a caller hears when the helpline itself has failed: an apology, then a person.

This depends on nothing but the settings and (where they loaded) the prompts, so that it still
works when the flow could not be built or the engine raised.
"""

from __future__ import annotations

import datetime as dt

from twilio.twiml.voice_response import VoiceResponse

from ivr.config import Settings
from ivr.content.model import (
    LANGUAGE,
    LAST_RESORT_SAFETY,
    LAST_RESORT_SORRY,
    SAFETY_PROMPT,
    PromptBook,
)
from ivr.webhooks.paths import WebhookPaths

# If even the prompt files are unreadable, the caller still hears what to do rather than
# silence: an apology and the safety message, in the words `ivr check` keeps the same as the
# prompt's (see ivr/content/model.py).
LAST_RESORT = {"system.fallback_closed": LAST_RESORT_SORRY, SAFETY_PROMPT: LAST_RESORT_SAFETY}


def _say(
    response: VoiceResponse, prompts: PromptBook | None, prompt_id: str, settings: Settings
) -> None:
    if prompts and prompt_id in prompts:
        text = prompts[prompt_id].spoken
    else:
        text = LAST_RESORT.get(prompt_id, LAST_RESORT_SORRY)
    response.say(text, voice=settings.say_voice, language=LANGUAGE)


class Fallback:
    """The three answers of the Fallback URL, built once at start-up from settings and prompts
    (and the webhooks' paths: a call to the nurse line comes back to the Fallback URL)."""

    def __init__(self, settings: Settings, prompts: PromptBook | None, paths: WebhookPaths) -> None:
        self.settings = settings
        self.paths = paths
        self.documents = {
            "answered": self._answered(prompts),
            "ring": self._ring(prompts),
            "closed": self._closed(prompts),
        }

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
        _say(response, prompts, "system.after_call", self.settings)
        response.hangup()
        return str(response)

    def _ring(self, prompts: PromptBook | None) -> str:
        response = VoiceResponse()
        _say(response, prompts, "system.fallback", self.settings)
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
        _say(response, prompts, "system.fallback_closed", self.settings)
        _say(response, prompts, SAFETY_PROMPT, self.settings)
        response.pause(length=1)
        _say(response, prompts, SAFETY_PROMPT, self.settings)
        if prompts and "system.call_again" in prompts:
            _say(response, prompts, "system.call_again", self.settings)
        response.hangup()
        return str(response)
