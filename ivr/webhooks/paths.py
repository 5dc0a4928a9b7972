"""Where the TwiML sends Twilio next: the webhooks' paths, built with url_for once at start-up
(ivr.webhooks.views.webhook_paths) and handed to the renderers, which know no Flask."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebhookPaths:
    """The paths of the webhooks a TwiML document points at."""

    step: str  # a key pressed, words said, or silence
    dial: str  # a call to a person ended
    whisper: str  # played to the person who answers
    whisper_accept: str  # their key in the whisper
    fallback_dialled: str  # the Fallback URL again, after the fallback's own call to a person
    nurse_status: str  # a nurse's leg ended (its status callback)
    queue_wait: str  # the wait in the queue, asked again after each turn
    queue_key: str  # a key pressed while waiting
    queue_left: str  # out of the queue (Enqueue's action)
    voicemail_saved: str  # a message recorded, or none (Record's action)
    voicemail_recording: str  # the recording is ready (its status callback)
