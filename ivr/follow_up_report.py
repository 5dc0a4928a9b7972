"""What `ivr check` says of the follow-ups: each text's length as sent (characters and SMS),
and the seconds the question of whether the call helped adds to a call, measured from the
rendered audio where there is some (else estimated from its words)."""

from __future__ import annotations

from ivr.audio.library import AudioLibrary
from ivr.config import Settings
from ivr.content.load import Content
from ivr.content.readability import seconds_to_say, word_count

QUESTION = ("feedback.ask", "feedback.thanks")


def follow_up_summary(content: Content, settings: Settings) -> list[str]:
    """The texts' lengths, and the feedback question's seconds at each pace."""
    lines = ["", "Texts callers can ask for (characters, SMS):"]
    for code, book in content.texts.items():
        said = ", ".join(f"{t.id} {t.length}/{t.segments}" for t in book.texts.values())
        lines.append(f"  {code}: {said or 'none'}")
    if not content.flow.feedback or any(p not in content.prompts for p in QUESTION):
        return lines
    library = AudioLibrary(
        content.prompts, settings.paces, settings.tts_voice, settings.audio_dir, None
    )
    lines.append("Whether the call helped: the seconds it adds to a call (once a call)")
    for pace in settings.paces.values():
        found = library.at_pace(pace.name)
        measured = all(p in found for p in QUESTION)
        ask, thanks = (
            (found[p].seconds if measured else seconds_to_say(word_count(content.prompts[p].text)))
            for p in QUESTION
        )
        how = "measured from the audio" if measured else "estimated from the words"
        lines.append(
            f"  {pace.name}: answered {ask + thanks:.1f} s (the question {ask:.1f} s, thanks "
            f"{thanks:.1f} s); skipped by silence {ask + pace.wait:.1f} s (the question and "
            f"the {pace.wait} s wait for a key); {how}"
        )
    return lines
