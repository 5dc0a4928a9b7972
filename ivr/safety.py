"""What a caller hears when the helpline itself has failed: an apology, then a person.

This depends on nothing but the settings and (where they loaded) the prompts, so that it still
works when the flow could not be built or the engine raised.
"""

from __future__ import annotations

import datetime as dt

from twilio.twiml.voice_response import VoiceResponse

from ivr.config import Settings
from ivr.model import LANGUAGE, PromptBook

FALLBACK_PATH = "/voice/fallback"

# The one sentence kept in code: if even the prompt files are unreadable, the caller must still
# hear what to do rather than silence.
LAST_RESORT = (
    "Sorry, this line is not working. For urgent medical help, hang up and call 999. "
    "If you are having cancer treatment and feel unwell, call your hospital's 24-hour number."
)


def _say(
    response: VoiceResponse, prompts: PromptBook | None, prompt_id: str, settings: Settings
) -> None:
    text = prompts[prompt_id].spoken if prompts and prompt_id in prompts else LAST_RESORT
    response.say(text, voice=settings.say_voice, language=LANGUAGE)


class Fallback:
    """The three answers of the Fallback URL, built once at start-up from settings and prompts."""

    def __init__(self, settings: Settings, prompts: PromptBook | None) -> None:
        self.settings = settings
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
            action=f"{FALLBACK_PATH}?dialled=1",
            method="POST",
            timeout=self.settings.dial_timeout,
            answer_on_bridge=True,
        )
        dial.number(self.settings.nurse_line_number or "")
        return str(response)

    def _closed(self, prompts: PromptBook | None) -> str:
        # Closed, or nobody answered: the hours and the safety message, twice, then goodbye;
        # going round again could loop for ever while the helpline is broken.
        response = VoiceResponse()
        _say(response, prompts, "system.fallback_closed", self.settings)
        response.pause(length=1)
        _say(response, prompts, "system.fallback_closed", self.settings)
        response.hangup()
        return str(response)
