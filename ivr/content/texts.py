"""What the helpline texts a caller who asks for it: prompts/<language>/texts.yaml, read with
its placeholders filled, and how long each text is in SMS terms (GSM-7 characters, segments).

A text is content like a prompt: an editor writes it, `ivr check` checks it (ivr.content.checks
.texts), and the staff flow page shows it. Only its written form exists: nothing is spoken.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ivr.content.language import PROMPTS_DIR
from ivr.content.problems import Problem, ProblemList
from ivr.content.prompts import TEXTS_FILE, RawPrompt, fill_prompts
from ivr.content.yamlsource import LocatedDict, load_yaml

__all__ = ["TEXTS_FILE", "Text", "TextBook", "load_texts", "segments", "septets"]
NO_REPLY = "no_reply"  # the key of the line every text carries: this number takes no replies
TEXTS = "texts"  # the key of the texts themselves, by id

# GSM 03.38: the characters a text may use and still be sent as 7-bit GSM (160 a segment).
# Anything else (a curly quote, a Welsh circumflex, an emoji) makes the whole text UCS-2, at 70
# characters a segment, and some phones show it wrongly.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the extension table: each takes two of a segment's places (an escape first).
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
SINGLE_SEGMENT = 160  # septets in a text sent as one message
PART_SEGMENT = 153  # septets in each part of a longer one (7 go on the header that joins them)
MAX_SEGMENTS = 2


def not_gsm7(text: str) -> list[str]:
    """The characters of the text that GSM-7 cannot carry, each once, in order."""
    return list(dict.fromkeys(c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENDED))


def septets(text: str) -> int:
    """The text's length as GSM-7 counts it: two for each character of the extension table."""
    return sum(2 if c in GSM7_EXTENDED else 1 for c in text)


def segments(text: str) -> int:
    """How many SMS the text is sent as, in GSM-7 (one up to 160 septets, else 153 each)."""
    length = septets(text)
    if length <= SINGLE_SEGMENT:
        return 1
    return -(-length // PART_SEGMENT)


@dataclass(frozen=True, slots=True)
class Text:
    """One text as it is sent, with where it is written."""

    id: str
    body: str
    file: str
    line: int

    @property
    def length(self) -> int:
        """Its length in characters."""
        return len(self.body)

    @property
    def segments(self) -> int:
        """How many SMS it is sent as (GSM-7)."""
        return segments(self.body)


@dataclass(frozen=True)
class TextBook:
    """One language's texts by id, filled, and the line each must carry (no replies)."""

    language: str
    texts: Mapping[str, Text] = field(default_factory=dict)
    no_reply: str = ""
    file: str = ""
    # Each text as written, before its placeholders were filled (for the mirror check).
    raw: Mapping[str, RawPrompt] = field(default_factory=dict)

    def __contains__(self, text_id: object) -> bool:
        return text_id in self.texts

    def __getitem__(self, text_id: str) -> Text:
        return self.texts[text_id]


def _body(value: str) -> str:
    """A text as written: each line's own spaces tidied, the lines kept (a text has lines)."""
    lines = [" ".join(line.split()) for line in str(value).strip().splitlines()]
    return "\n".join(line for line in lines if line)


def load_texts(
    root: Path,
    code: str,
    values: Mapping[str, str],
    services: tuple[Mapping[str, object], Mapping[str, object]],
    problems: ProblemList,
) -> TextBook:
    """Read prompts/<code>/texts.yaml and fill its placeholders as prompts' are (the written
    form of a service's number); an empty book where the file is missing."""
    path = root / PROMPTS_DIR / code / TEXTS_FILE
    file = f"{PROMPTS_DIR}/{code}/{TEXTS_FILE}"
    if not path.exists():
        return TextBook(code, file=file)
    document = load_yaml(path, problems, root)
    if not isinstance(document, LocatedDict):
        if document is not None:
            problems.add(Problem(file, 1, "is not a mapping", f"start with `{NO_REPLY}:`"))
        return TextBook(code, file=file)
    texts = document.get(TEXTS)
    no_reply = document.get(NO_REPLY)
    for key in sorted(set(document) - {TEXTS, NO_REPLY}):
        problems.add(
            Problem(
                file,
                document.line_of(key),
                f"`{key}` is not one of `{NO_REPLY}` and `{TEXTS}`",
                f"put the text under `{TEXTS}:`",
            )
        )
    if not isinstance(no_reply, str) or not no_reply.strip():
        problems.add(
            Problem(
                file,
                document.line_of(NO_REPLY) if NO_REPLY in document else 1,
                f"has no `{NO_REPLY}:` line",
                f'add `{NO_REPLY}: "This number does not take replies."`, in {code}',
                rule="texts-no-reply",
            )
        )
        no_reply = ""
    if not isinstance(texts, LocatedDict):
        problems.add(
            Problem(
                file,
                document.line_of(TEXTS) if TEXTS in document else 1,
                f"has no `{TEXTS}:` mapping of text ids to texts",
                f"add `{TEXTS}:` with one text a key",
            )
        )
        return TextBook(code, no_reply=_body(no_reply), file=file)
    raw: dict[str, RawPrompt] = {}
    for key, value in texts.items():
        if not isinstance(value, str):
            problems.add(
                Problem(file, texts.line_of(key), f"text {key} is not text", "write it as text")
            )
            continue
        body = _body(value)
        raw[key] = RawPrompt(key, body, body, file, texts.line_of(key))
    filled = fill_prompts(raw, values, problems, services)
    made = {
        key: Text(key, prompt.text, prompt.file, prompt.line)
        for key, prompt in filled.prompts.items()
    }
    return TextBook(code, MappingProxyType(made), _body(no_reply), file, MappingProxyType(raw))
