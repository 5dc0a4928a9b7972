"""The named content rules (`ivr check --rules`), and how a check writes a problem."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from ivr.content.model import (
    LANGUAGE_KEY,
    LANGUAGE_OFFER_PROMPT,
    MAIN_MENU_KEY,
    MAIN_MENU_PROMPT,
    PACE_KEY,
    Node,
)
from ivr.content.problems import Problem

# Every named rule, as `ivr check --rules` lists them: a problem says which one it breaks.
RULES: Mapping[str, str] = {
    "safety-message": "Safety advice is one message, safety.message: played in the welcome, "
    "wherever no nurse can take the call and when a call back fails; no other prompt gives "
    "safety advice; the Fallback's last resort says it word for word.",
    "say-as": "What the voice says has numbers, and names it gets wrong (data/wording), in "
    "words: 999 as 'nine nine nine', Llais as the voice can say it.",
    "honest-hours": "No prompt promises a person at any time; only {nurse_hours} says when "
    "the nurses are there.",
    "open-or-closed": "No sentence says a line is open and closed, whatever NURSE_LINE_HOURS is.",
    "opens-line": "opens.<line> names the nurse line, or a service with known hours.",
    "service-source": "Each service in data/services.yaml cites its own page (https) and the "
    "date its number was checked.",
    "service-dial": "A service callers are put through to has a number, known hours and a "
    "checked number; the helpline rings it only while it is open and checked in the last year.",
    "main-menu-key": f"The main menu is on {MAIN_MENU_KEY} everywhere: no option leads to it, "
    f"every block's choices end with {MAIN_MENU_PROMPT}, no prompt gives it another key.",
    "put-through-apart": "Putting a caller through to a service is an option of its own, "
    "offered by its own prompt, never on the main menu's key nor on a key that leads into the "
    "block (a key pressed twice must not ring someone).",
    "callback-privacy": "A callback node says how a number is kept (privacy:) before the "
    "caller gives one.",
    "voicemail-privacy": "A voicemail node says who hears a message and how long it is kept "
    "(privacy:) before the tone.",
    "walk-summary": "The walk-through's summary gives advice for each yes (the reason, then "
    "what may help) and says something after the answers (after:).",
    "labels-lead-there": "Every word of a choice ('To hear X, press 1.') is said, or is the "
    "title, where it leads (ivr check only).",
    "labels-apart": "No two choices in one block share a two-word phrase (ivr check only).",
    "avoid-phrase": "Prompts avoid the phrases data/wording lists, each with what to say "
    "instead (ivr check only).",
    "readability": "Prompts of 12 words or more have a reading ease of 60 or more (English; "
    "in other languages, 6 letters a word or fewer on average) and sentences of 15 words or "
    "fewer on average (ivr check only).",
    "mirror": "Every language has every prompt of the first language, with the same "
    "placeholders in its text and spoken forms, every key of its language.yaml, and the words "
    "of every option and the title of every part (choices:, parts:).",
    "language-offer": f"Each language's way in ({LANGUAGE_OFFER_PROMPT}) names its key "
    f"({LANGUAGE_KEY}) and takes under 5 s to say: every caller hears it before the welcome.",
    "reserved-key": f"No option is on {PACE_KEY} (the slower voice) or {LANGUAGE_KEY} (the next "
    "language): they work everywhere.",
    "review-mark": "Each file of a language other than the first has a review mark: "
    "`# review: none yet`, or `# review: <name>, <YYYY-MM-DD>` once a fluent speaker has "
    "reviewed it; a language the line offers is reviewed, or named in LANGUAGES_UNREVIEWED.",
    "options": "Options are numbered 1 to 4 with no gaps, each with words of its own, and the "
    "prompts say every key.",
    "length": "A menu takes under 20 s to say, a block under 60 s.",
    "welcome-keys": "The welcome tells callers the keys that work everywhere.",
    "entry-codes": "Every part reached by keys has an entry code of its own.",
    "graph": "Every node is known, reachable, within 3 menus of the start, with a way on.",
    "prompt-use": "Every prompt exists where it is played, and is played somewhere.",
    "answers": "The summary covers every answer the walk-through records.",
    "review-date": "The guidance is within its review date.",
    "texts-gsm7": "Every text (prompts/<language>/texts.yaml) uses GSM-7 characters only.",
    "texts-length": "Every text is at most 2 SMS: 306 GSM-7 characters once filled in.",
    "texts-name": "Every text gives the helpline's name ({service}).",
    "texts-no-reply": "Every text has a line of its own saying this number takes no replies "
    "(the file's no_reply:).",
    "texts-offered": "Each text is offered in a part with a key free for it (at most 3 "
    "options), and every text the flow offers exists.",
    "feedback-parts": "Whether the call helped is asked only at the end of parts with choices, "
    "or after a call to a service.",
    "service-checked": "A service's number was checked in the last 12 months.",
}


def node_problem(
    node: Node, message: str, hint: str, warning: bool = False, rule: str = ""
) -> Problem:
    """A problem with a node, at the line its id is written on, naming the rule it breaks."""
    assert not rule or rule in RULES, rule
    return Problem(node.file, node.line, message, hint, node.id, warning, rule)


def suggest(name: str, choices: Iterable[str]) -> str:
    """A fix for an unknown name: the closest known one, if any is close."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f"did you mean {close[0]!r}?" if close else "add it, or point to an existing one"


def written_at(value: object, fallback: str) -> tuple[str, int]:
    """The file and line a setting was written on (strings from YAML remember them)."""
    return getattr(value, "file", fallback), getattr(value, "line", 0)
