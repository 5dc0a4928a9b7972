"""Turn engine steps into TwiML: one renderer per kind of step, looked up in a table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.audio.library import AudioLibrary
from ivr.audio.pace import Pace
from ivr.call.steps import (
    Ask,
    Connect,
    Goodbye,
    Hold,
    Leave,
    Queue,
    Record,
    Screen,
    Step,
    Transfer,
)
from ivr.content.language import Languages
from ivr.webhooks.paths import WebhookPaths

# Twilio's queue for callers waiting for a nurse (the order they are served in is ours).
QUEUE_NAME = "nurses"


@dataclass(frozen=True)
class Voice:
    """How prompts are spoken, in the caller's language: rendered audio where there is some,
    else <Say>, at a pace."""

    languages: Languages
    say_voice: str  # SAY_VOICE: the first language's <Say> voice; the others use their own
    dial_timeout: int
    paces: Mapping[str, Pace]
    paths: WebhookPaths  # where each document sends Twilio next
    # Every language's rendered prompts; None: always <Say> (PROMPT_AUDIO=say).
    audio: AudioLibrary | None = None

    def say_voice_of(self, code: str) -> str:
        """<Say>'s voice in a language: SAY_VOICE for the first, the language's own for others."""
        if code == self.languages.first:
            return self.say_voice
        return self.languages[code].say_voice

    def language(self, code: str) -> str:
        """The language to name in TwiML for a call's language ("" for the first)."""
        return self.languages.book(code).language

    def say(
        self,
        parent: VoiceResponse | Gather,
        prompt_ids: tuple[str, ...],
        language: str,
        slow: bool,
        fill: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Play or say each prompt, in the language, at the pace."""
        pace = self.paces["slow" if slow else "normal"]
        for qualified in prompt_ids:
            # "cy-GB/welcome.language": a prompt said in another language than the call's.
            code, _, prompt_id = qualified.rpartition("/")
            book = self.languages.book(code or language)
            prompt = book[prompt_id]
            url = self.audio.url(prompt_id, pace.name, book.language) if self.audio else None
            if url is not None:
                parent.play(url)
                continue
            # A prompt with no audio is never silent: Twilio speaks it, at the same pace.
            text = prompt.spoken.format_map(dict(fill)) if prompt.dynamic else prompt.spoken
            said = parent.say(voice=self.say_voice_of(book.language), language=book.language)
            said.prosody(text, rate=pace.say_rate)


def render_ask(step: Step, voice: Voice) -> VoiceResponse:
    """Prompts inside a Gather (so a key stops them), then what happens on silence."""
    assert isinstance(step, Ask)
    action = step.state.url(voice.paths.step)
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf speech",
        action=action,
        method="POST",
        # The slower pace waits longer too, for callers who need the time (text relay, 18001).
        timeout=voice.paces["slow" if step.state.slow else "normal"].wait,
        num_digits=step.max_digits,
        # '#' is a menu key (repeat), so it ends the input only where a number is keyed.
        finish_on_key=step.finish_on_key,
        language=voice.language(step.state.language),
        hints=", ".join(step.hints),
        speech_timeout="auto",
    )
    voice.say(gather, step.prompts, step.state.language, step.state.slow, step.fill)
    # Gather falls through on silence: come back to the same place with no input.
    response.redirect(action, method="POST")
    return response


def render_transfer(step: Step, voice: Voice) -> VoiceResponse:
    """Say where the caller is going, then ring; the outcome is posted to the dial URL."""
    assert isinstance(step, Transfer)
    response = VoiceResponse()
    voice.say(response, step.prompts, step.state.language, step.state.slow)
    dial = response.dial(
        action=step.state.url(voice.paths.dial),
        method="POST",
        timeout=step.timeout or voice.dial_timeout,
        answer_on_bridge=True,
    )
    for key, number in step.ring:
        # Each nurse hears the whisper; the end of their leg frees them for other calls.
        nurse = f"&nurse={quote(key)}"
        dial.number(
            number,
            url=step.state.url(voice.paths.whisper) + nurse,
            method="POST",
            status_callback=step.state.url(voice.paths.nurse_status) + nurse,
            status_callback_event="completed",
            status_callback_method="POST",
        )
    if not step.ring and step.whisper:
        # The nurse hears a whisper and presses 1 to take the call (see render_screen).
        dial.number(step.number, url=step.state.url(voice.paths.whisper), method="POST")
    elif not step.ring:
        dial.number(step.number)
    return response


def render_screen(step: Step, voice: Voice) -> VoiceResponse:
    """The whisper: why the caller rang, and 1 to take the call; else it is not put through."""
    assert isinstance(step, Screen)
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf",
        num_digits=1,
        timeout=voice.paces["normal"].wait,
        finish_on_key="",
        action=step.state.url(voice.paths.whisper_accept)
        + (f"&nurse={quote(step.nurse)}" if step.nurse else ""),
        # No key (a phone's own voicemail answered) is a nurse not taking the call, too.
        action_on_empty_result=True,
        method="POST",
    )
    # The nurse hears the line's first language, whatever the caller chose (the whisper says it).
    voice.say(gather, step.prompts, "", slow=False, fill=step.fill)
    voice.say(response, ("whisper.declined",), "", slow=False)
    response.hangup()
    return response


def render_connect(step: Step, voice: Voice) -> VoiceResponse:
    """An empty answer ends the whisper, and Twilio puts the two calls through."""
    assert isinstance(step, Connect)
    return VoiceResponse()


def render_goodbye(step: Step, voice: Voice) -> VoiceResponse:
    assert isinstance(step, Goodbye)
    response = VoiceResponse()
    voice.say(response, step.prompts, step.state.language, step.state.slow)
    response.hangup()
    return response


def render_queue(step: Step, voice: Voice) -> VoiceResponse:
    """Say why, then wait in Twilio's queue; the wait and the way out come back to us."""
    assert isinstance(step, Queue)
    response = VoiceResponse()
    voice.say(response, step.prompts, step.state.language, step.state.slow)
    response.enqueue(
        QUEUE_NAME,
        action=step.state.url(voice.paths.queue_left),
        method="POST",
        wait_url=step.state.url(voice.paths.queue_wait),
        wait_url_method="POST",
    )
    return response


def render_hold(step: Step, voice: Voice) -> VoiceResponse:
    """A turn of the wait: what is said, then quiet, with a key heard all the while. When it
    ends, Twilio asks for the wait again."""
    assert isinstance(step, Hold)
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf",
        num_digits=1,
        timeout=1,
        finish_on_key="",
        action=step.state.url(voice.paths.queue_key),
        method="POST",
    )
    voice.say(gather, step.prompts, step.state.language, step.state.slow, step.fill)
    gather.pause(length=step.pause)
    return response


def render_leave(step: Step, voice: Voice) -> VoiceResponse:
    """Out of the queue: Twilio then asks the queue's action where the caller goes."""
    assert isinstance(step, Leave)
    response = VoiceResponse()
    response.leave()
    return response


def render_record(step: Step, voice: Voice) -> VoiceResponse:
    """Say how the message is kept and how to leave it, then record; with nothing recorded
    Twilio goes on to the Redirect, and the caller hears that nothing was saved."""
    assert isinstance(step, Record)
    response = VoiceResponse()
    voice.say(response, step.prompts, step.state.language, step.state.slow)
    saved = step.state.url(voice.paths.voicemail_saved)
    response.record(
        action=saved,
        method="POST",
        max_length=step.max_seconds,
        finish_on_key="#",
        play_beep=True,
        timeout=10,
        recording_status_callback=step.state.url(voice.paths.voicemail_recording),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    response.redirect(saved, method="POST")
    return response


RENDERERS: Mapping[type, Callable[[Step, Voice], VoiceResponse]] = {
    Ask: render_ask,
    Transfer: render_transfer,
    Goodbye: render_goodbye,
    Screen: render_screen,
    Connect: render_connect,
    Queue: render_queue,
    Hold: render_hold,
    Leave: render_leave,
    Record: render_record,
}


def render(step: Step, voice: Voice) -> str:
    """The TwiML document for a step."""
    return str(RENDERERS[type(step)](step, voice))


def cached_renderer(voice: Voice, size: int = 4096) -> Callable[[Step], str]:
    """Steps are frozen and repeat from call to call, so each document is built only once (and
    again when a render beside the server has added recordings)."""

    @lru_cache(maxsize=size)
    def render_step(step: Step, generation: int) -> str:
        return render(step, voice)

    audio = voice.audio
    if audio is None:
        return lambda step: render_step(step, 0)
    return lambda step: render_step(step, audio.generation)
