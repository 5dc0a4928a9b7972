"""Each named content rule fails on a copy of the real content with one thing broken.

The real flows/, prompts/ and data/ are copied, one line is changed back to what callers once
heard (or to a mistake an editor could make), and `ivr check`'s checks must name the rule, the
file and the line.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivr.content.checks import RULES
from ivr.content.problems import Problem
from tests.trees import TODAY, collect

ROOT = Path(__file__).resolve().parent.parent
REAL = {"flows", "prompts", "data"}


def real_copy(tmp_path: Path) -> Path:
    """The project's own content, copied, to break one thing in."""
    for folder in REAL:
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def change(root: Path, file: str, old: str, new: str) -> int:
    """Replace the one place old is written in a file; give the line it is on."""
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is in {file} {text.count(old)} times"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def line_with(root: Path, file: str, fragment: str) -> int:
    lines = (root / file).read_text(encoding="utf-8").splitlines()
    found = [n for n, line in enumerate(lines, start=1) if fragment in line]
    assert len(found) == 1, (fragment, found)
    return found[0]


def problems_of(root: Path) -> list[Problem]:
    content, problems = collect(root, readability=True, today=TODAY)
    assert content is None, "the broken copy still passed"
    return problems.errors()


@dataclass(frozen=True)
class Break:
    """One thing broken: in which file, the change, and where the rule must point."""

    rule: str
    file: str
    old: str
    new: str
    at: tuple[str, str] | None = None  # (file, fragment on the line the problem names)
    message: str = ""


FLOW = "flows/helpline.yaml"
# The words that choose the put-through to PASS, as the flow gives them.
PASS_WORDS = '["put me through", "connect me", "put me through to pass"]'
PROMPTS = "prompts/en-GB/"
WELSH = "prompts/cy-GB/"

BREAKS = {
    # Safety, the same on every path.
    "welcome-without-safety": Break(
        "safety-message",
        FLOW,
        "welcome: [welcome.hello, safety.message, welcome.keys]",
        "welcome: [welcome.hello, welcome.keys]",
        (FLOW, "welcome: [welcome.hello, welcome.keys]"),
        "the welcome does not play safety.message",
    ),
    "nobody-free-without-safety": Break(
        "safety-message",
        FLOW,
        "say: [nurse.unavailable, safety.message]",
        "say: [nurse.unavailable]",
        (FLOW, "  nurse_unavailable:"),
        "no nurse is free, and does not play safety.message",
    ),
    "failed-call-back-without-safety": Break(
        "safety-message",
        FLOW,
        "say: [callback.failed, safety.message]",
        "say: [callback.failed]",
        (FLOW, "  callback_failed:"),
        "a call back could not be booked",
    ),
    "safety-advice-of-its-own": Break(
        "safety-message",
        PROMPTS + "system.yaml",
        'No nurse can take your call just now."',
        'No nurse can take your call just now. For urgent medical help, call 999."',
        (PROMPTS + "system.yaml", "fallback_closed:"),
        "gives safety advice in words of its own ('999')",
    ),
    "safety-message-not-the-last-resort": Break(
        "safety-message",
        PROMPTS + "safety.yaml",
        "and you feel unwell or have a temperature, call your hospital's twenty-four",
        "and you feel unwell, call your hospital's twenty-four",
        (PROMPTS + "safety.yaml", "message:"),
        "is not what the Fallback URL says",
    ),
    "last-resort-not-the-safety-message": Break(
        "safety-message",
        PROMPTS + "language.yaml",
        "hospital's twenty-four hour number now.",
        "hospital's number now.",
        (PROMPTS + "safety.yaml", "message:"),
        "is not what the Fallback URL says",
    ),
    # What the voice says.
    "999-read-as-a-number": Break(
        "say-as",
        PROMPTS + "safety.yaml",
        "hang up and call nine nine nine.",
        "hang up and call 999.",
        (PROMPTS + "safety.yaml", "message:"),
        "has the number 999 in what the voice says",
    ),
    "gp-without-a-spoken-form": Break(
        "say-as",
        PROMPTS + "prepare.yaml",
        'what_to_take: "Take any clinical letters',
        'what_to_take: "Ask your GP, and take any clinical letters',
        (PROMPTS + "prepare.yaml", "what_to_take:"),
        "has 'GP' in what the voice says",
    ),
    "llais-said-as-the-voice-spells-it": Break(
        "say-as",
        PROMPTS + "referral.yaml",
        "In Wales, you can ask Chlice.",
        "In Wales, you can ask hlice.",
        (PROMPTS + "referral.yaml", "wales:"),
        "has 'hlice' in what the voice says",
    ),
    # Honest about when people are there.
    "a-nurse-at-any-time": Break(
        "honest-hours",
        PROMPTS + "welcome.yaml",
        "To ask for a nurse, press 0 at any point in this call.",
        "To talk to a nurse at any time, press 0.",
        (PROMPTS + "welcome.yaml", "keys:"),
        "promises someone is there 'any time'",
    ),
    "open-and-closed-at-once": Break(
        "open-or-closed",
        PROMPTS + "hours.yaml",
        'nurse_never: "The nurse line is closed for now."',
        'nurse_never: "It is open at set times, and it is closed for now."',
        (PROMPTS + "callback.yaml", "booked_info:"),
        "when NURSE_LINE_HOURS is never",
    ),
    "opens-for-a-line-without-hours": Break(
        "opens-line",
        FLOW,
        "closed_say: [referral.scotland_closed, opens.scotland]",
        "closed_say: [referral.scotland_closed, opens.wales]",
        (FLOW, "opens.wales"),
        "opens.wales says when wales opens, but wales has no known hours",
    ),
    "service-without-its-own-source": Break(
        "service-source",
        "data/services.yaml",
        'source: "https://pass-scotland.org.uk/frequently-asked-questions/"',
        'source: "shared/docs/ivr-standards.md, Where callers are sent"',
        ("data/services.yaml", "  scotland:"),
        "service scotland does not cite its own public page",
    ),
    "put-through-to-an-unchecked-number": Break(
        "service-dial",
        "data/services.yaml",
        'checked: 2026-11-29\n    source: "https://pass-scotland.org.uk',
        'checked: null\n    source: "https://pass-scotland.org.uk',
        (FLOW, "  scotland_transfer:"),
        "which has a number nobody has checked",
    ),
    # The same key means the same thing everywhere.
    "an-option-to-the-main-menu": Break(
        "main-menu-key",
        FLOW,
        '      "1": {to: talk_tips, words: ["tips", "next", "more"]}\n',
        '      "1": {to: talk_tips, words: ["tips", "next", "more"]}\n'
        '      "2": {to: main, words: ["start"]}\n',
        (FLOW, '"2": {to: main, words: ["start"]}'),
        "option 2 leads to the main menu, which is on 8 everywhere",
    ),
    "a-block-that-never-says-the-main-menu": Break(
        "main-menu-key",
        FLOW,
        "choices: [about.planning_next, main.return]",
        "choices: [about.planning_next]",
        (FLOW, "  planning:"),
        "never tells the caller that 8 is the main menu",
    ),
    "the-main-menu-on-another-key": Break(
        "main-menu-key",
        PROMPTS + "about.yaml",
        'planning_next: "To hear what a second opinion is, press 1."',
        'planning_next: "To hear what a second opinion is, press 1. '
        'To go back to the main menu, press 2."',
        (PROMPTS + "about.yaml", "planning_next:"),
        "puts the main menu on 2; it is on 8 everywhere",
    ),
    "put-through-on-the-key-that-led-here": Break(
        "put-through-apart",
        FLOW,
        '      "1": {to: scotland_number, words: ["number", "hear the number", "phone number"]}\n'
        '      "2": {to: referral, words: ["another", "other nation", "somewhere else"]}\n'
        '      "3": {to: scotland_transfer, words: ' + PASS_WORDS + ","
        " offer: referral.scotland_offer}\n\n  scotland_number:",
        '      "1": {to: scotland_number, words: ["number", "hear the number", "phone number"]}\n'
        '      "2": {to: scotland_transfer, words: ' + PASS_WORDS + ","
        " offer: referral.scotland_offer}\n"
        '      "3": {to: referral, words: ["another", "other nation", "somewhere else"]}\n\n'
        "  scotland_number:",
        (FLOW, "  scotland:"),
        "2 is also the key that leads here",
    ),
    "put-through-without-an-offer": Break(
        "put-through-apart",
        FLOW,
        '"3": {to: scotland_transfer, words: ' + PASS_WORDS + ","
        " offer: referral.scotland_offer}\n\n  wales:",
        '"3": {to: scotland_transfer, words: ' + PASS_WORDS + "}\n\n  wales:",
        (FLOW, "  scotland_number:"),
        "it has no `offer:` prompt of its own",
    ),
    # The walk-through, and a number taken for a call back.
    "a-summary-that-only-reads-back": Break(
        "walk-summary",
        PROMPTS + "walk.yaml",
        "You are not sure about the diagnosis. The cancer doctor can go through the test "
        'results with you."',
        'You are not sure about the diagnosis."',
        (FLOW, "  walk_summary:"),
        "only reads back the answer 'unsure_diagnosis'",
    ),
    "a-summary-with-nothing-after": Break(
        "walk-summary",
        FLOW,
        "    after: [walk.delay]\n",
        "",
        (FLOW, "  walk_summary:"),
        "says nothing after the answers",
    ),
    "a-number-taken-without-saying-how-it-is-kept": Break(
        "callback-privacy",
        FLOW,
        "    privacy: callback.kept\n",
        "",
        (FLOW, "  callback:"),
        "takes a number without saying how it is kept",
    ),
    "a-message-recorded-without-saying-how-it-is-kept": Break(
        "voicemail-privacy",
        FLOW,
        "    privacy: voicemail.kept\n",
        "",
        (FLOW, "  voicemail:"),
        "records a message without saying how it is kept",
    ),
    # Choices that say where they lead, and tell each other apart.
    "asking-for-a-referral-not-explained-there": Break(
        "labels-lead-there",
        PROMPTS + "about.yaml",
        "Your GP is your family doctor. To ask for a referral, talk to your cancer doctor or GP.",
        "Your GP is your family doctor.",
        (PROMPTS + "prepare.yaml", "talk_tips_next:"),
        "leads to how_get ('How to get a second opinion: referral and what is sent'), which "
        "never says two of 'ask', 'referral' in one sentence",
    ),
    "two-choices-both-the-five-reasons": Break(
        "labels-apart",
        PROMPTS + "reasons.yaml",
        "To answer five yes or no questions, press 1. To hear the reasons people ask, and what "
        "may help, press 2.",
        "To go through the five reasons one at a time, press 1. To hear the five reasons, and "
        "what may help, press 2.",
        (PROMPTS + "reasons.yaml", "choices:"),
        "the choices for 1 and 2 both say 'five reason'",
    ),
    # Tone.
    "busy-not-engaged": Break(
        "avoid-phrase",
        PROMPTS + "referral.yaml",
        "or the line was engaged.",
        "or the line was busy.",
        (PROMPTS + "referral.yaml", "unavailable:"),
        "says 'busy': it is not British usage",
    ),
    "judging-the-caller": Break(
        "avoid-phrase",
        PROMPTS + "walk.yaml",
        'yes_not_understood: "Some of what you were told was not clear.',
        'yes_not_understood: "You did not understand everything you were told.',
        (PROMPTS + "walk.yaml", "yes_not_understood:"),
        "says 'you did not understand': it judges the caller",
    ),
    "guessing-how-the-caller-feels": Break(
        "avoid-phrase",
        PROMPTS + "system.yaml",
        'put_through: "Would you like to talk to a nurse?',
        'put_through: "It sounds like you might need some help. Would you like a nurse?',
        (PROMPTS + "system.yaml", "put_through:"),
        "says 'it sounds like': it guesses how the caller feels",
    ),
    # Every language mirrors the first.
    "a-welsh-prompt-missing": Break(
        "mirror",
        WELSH + "main.yaml",
        'return: "Am y brif ddewislen, pwyswch 8."\n',
        "",
        (WELSH + "main.yaml", "choices:"),
        "has no prompt main.return, which the first language has (prompts/en-GB/main.yaml:",
    ),
    "a-welsh-placeholder-differs": Break(
        "mirror",
        WELSH + "whisper.yaml",
        'intro: "Galwad o\'r {service} yw hon."',
        'intro: "Galwad o\'r llinell yw hon."',
        (WELSH + "whisper.yaml", "intro:"),
        "prompt whisper.intro uses no {placeholders} in its text, where en-GB",
    ),
    "a-welsh-spoken-placeholder-differs": Break(
        "mirror",
        WELSH + "referral.yaml",
        'spoken: "Rhif pass yw {scotland.number}. Dyma fe eto: {scotland.number}.',
        'spoken: "Rhif pass yw {scotland.number}. Dyma fe eto: {scotland.name}.',
        (WELSH + "referral.yaml", "scotland_number:"),
        "in its spoken, where en-GB",
    ),
    "a-welsh-key-word-list-missing": Break(
        "mirror",
        WELSH + "language.yaml",
        '  "3": [tri, tair]\n',
        "",
        (WELSH + "language.yaml", "keys_said:"),
        "has no 'keys_said': '3', which en-GB's language.yaml has",
    ),
    "a-welsh-option-without-words": Break(
        "mirror",
        WELSH + "language.yaml",
        '    "2": [neges, gadael neges, neges llais]\n',
        "",
        (WELSH + "language.yaml", "nurse_closed:"),
        "choices: has no words for option 2 of nurse_closed",
    ),
    "a-welsh-part-without-a-title": Break(
        "mirror",
        WELSH + "language.yaml",
        '  wales: "Cymru: Llais"\n',
        "",
        (WELSH + "language.yaml", "parts:"),
        "parts: has no title for wales",
    ),
    # The way into each language is short, and names its key.
    "a-long-way-into-welsh": Break(
        "language-offer",
        WELSH + "welcome.yaml",
        'language: "Am wasanaeth yn Gymraeg, pwyswch 7."',
        "language: \"Os hoffech chi glywed y gwasanaeth hwn i gyd yn Gymraeg, o'r dechrau i'r "
        'diwedd, pwyswch 7."',
        (WELSH + "welcome.yaml", "language:"),
        "welcome.language takes about",
    ),
    "the-way-into-english-without-its-key": Break(
        "language-offer",
        PROMPTS + "welcome.yaml",
        'language: "For English, press 7."',
        'language: "For English, press 6."',
        (PROMPTS + "welcome.yaml", "language:"),
        "welcome.language does not say press 7",
    ),
    # 9 and 7 work everywhere: no option may be on them.
    "an-option-on-the-language-key": Break(
        "reserved-key",
        FLOW,
        '"4": {to: source, words: ["where", "source", "Macmillan", "where it comes from"]}',
        '"7": {to: source, words: ["where", "source", "Macmillan", "where it comes from"]}',
        (FLOW, '"7": {to: source'),
        "option 7 is on a key that works everywhere",
    ),
    # Review marks say who reviewed a translation, and when.
    "a-review-mark-without-a-date": Break(
        "review-mark",
        WELSH + "welcome.yaml",
        "# review: none yet (a fluent Welsh speaker must review this file before the public "
        "hears it)",
        "# review: Siân Evans",
        (WELSH + "welcome.yaml", "# review: Siân Evans"),
        "review mark 'Siân Evans' is not a mark the check reads",
    ),
    "a-review-mark-from-the-future": Break(
        "review-mark",
        WELSH + "welcome.yaml",
        "# review: none yet (a fluent Welsh speaker must review this file before the public "
        "hears it)",
        "# review: Siân Evans, 2030-01-01",
        (WELSH + "welcome.yaml", "# review: Siân Evans"),
        "review mark is dated 2030-01-01, after today",
    ),
    # Texts callers can ask for: GSM-7, two SMS at most, the helpline's name, no replies.
    "a-text-with-a-curly-quote": Break(
        "texts-gsm7",
        PROMPTS + "texts.yaml",
        "2 Do I need treatment?",
        "2 Do I need \u2018treatment\u2019?",
        (PROMPTS + "texts.yaml", "  questions: |"),
        "text questions has characters GSM-7 cannot send: '\u2018' (U+2018)",
    ),
    "a-welsh-text-with-a-circumflex": Break(
        "texts-gsm7",
        WELSH + "texts.yaml",
        "Cadwch eich ffon yn agos.",
        "Cadwch eich ff\u00f4n yn agos.",
        (WELSH + "texts.yaml", "  callback: |"),
        "text callback has characters GSM-7 cannot send: '\u00f4' (U+00F4)",
    ),
    "a-text-of-three-sms": Break(
        "texts-length",
        PROMPTS + "texts.yaml",
        "5 How might they affect my life?",
        "5 How might they affect my life, my work, my family and my plans?",
        (PROMPTS + "texts.yaml", "  questions: |"),
        "text questions is 315 characters, 3 SMS; at most 2",
    ),
    "a-text-without-the-helpline-name": Break(
        "texts-name",
        PROMPTS + "texts.yaml",
        "    From the {service}: your call back is booked.",
        "    Your call back is booked.",
        (PROMPTS + "texts.yaml", "  callback: |"),
        "text callback does not give the helpline's name",
    ),
    "a-text-without-no-reply": Break(
        "texts-no-reply",
        PROMPTS + "texts.yaml",
        "Please keep your phone near you.\n    This number does not take replies.",
        "Please keep your phone near you.",
        (PROMPTS + "texts.yaml", "  callback: |"),
        "text callback has no line saying this number takes no replies",
    ),
    "a-text-offered-on-a-full-menu": Break(
        "texts-offered",
        FLOW,
        '  "callback_booked": callback',
        '  "callback_booked": callback\n  "main": callback',
        (FLOW, '  "main": callback'),
        "texts: main has 4 options, so no key is left for the text",
    ),
    "a-text-that-is-not-written": Break(
        "texts-offered",
        FLOW,
        '  "what_to_take": what_to_take',
        '  "what_to_take": what_to_bring',
        (FLOW, '  "what_to_take": what_to_bring'),
        "texts: what_to_take offers text what_to_bring, which",
    ),
    "a-welsh-text-missing": Break(
        "mirror",
        WELSH + "texts.yaml",
        "  what_to_take: |",
        "  what_to_bring: |",
        (WELSH + "texts.yaml", "  callback: |"),
        "has no text what_to_take, which en-GB has",
    ),
    "feedback-after-a-question": Break(
        "feedback-parts",
        FLOW,
        "feedback: [walk_summary,",
        "feedback: [q_unsure, walk_summary,",
        (FLOW, "feedback: [q_unsure, walk_summary,"),
        "feedback: q_unsure is not a part with choices",
    ),
}


def test_the_real_content_passes_every_rule(tmp_path: Path) -> None:
    """The unbroken copy passes, so each break below is what fails."""
    content, problems = collect(real_copy(tmp_path), readability=True, today=TODAY)
    assert [str(p) for p in problems.errors()] == []
    assert content is not None


@pytest.mark.parametrize("name", list(BREAKS))
def test_each_rule_fails_on_a_broken_copy(tmp_path: Path, name: str) -> None:
    """One thing broken: the named rule fails, on the file and line an editor must fix."""
    broken = BREAKS[name]
    root = real_copy(tmp_path)
    change(root, broken.file, broken.old, broken.new)
    found = [p for p in problems_of(root) if p.rule == broken.rule]
    assert found, f"{broken.rule} did not fire"
    assert broken.at is not None
    where = (broken.at[0], line_with(root, *broken.at))
    assert any((p.file, p.line) == where and broken.message in p.message for p in found), [
        str(p) for p in found
    ]


def test_every_new_rule_has_a_broken_copy() -> None:
    """Each rule this round added is shown failing above; older rules have tests of their own."""
    tried = {b.rule for b in BREAKS.values()}
    older = {
        "readability",
        "options",
        "length",
        "welcome-keys",
        "entry-codes",
        "graph",
        "prompt-use",
        "answers",
        "review-date",
        "service-checked",
    }
    assert set(RULES) - older == tried
