"""The texts a caller can ask for, and the question of whether the call helped: each text sent
as GSM-7 in at most two segments, with the helpline's name and the line saying this number
takes no replies; each offered where the flow says, on a key its part has free; the same texts
in every language; the question asked only at the end of parts with choices."""

from __future__ import annotations

from ivr.content.checks.rules import RULES, written_at
from ivr.content.model import ChoiceNode, Flow, TransferNode
from ivr.content.problems import Problem, ProblemList
from ivr.content.prompts import placeholders
from ivr.content.texts import MAX_SEGMENTS, TextBook, not_gsm7, segments, septets

# A part offering a text has at most this many options: the text takes the next key, and no
# menu has more than four.
MAX_OPTIONS_WITH_TEXT = 3


def _problem(file: str, line: int, message: str, hint: str, rule: str) -> Problem:
    assert rule in RULES, rule
    return Problem(file, line, message, hint, rule=rule)


def check_texts(book: TextBook, service_name: str, problems: ProblemList) -> None:
    """Each text: GSM-7 only, two segments at most, the helpline's name, and the no-reply line."""
    for text in book.texts.values():
        where = (text.file, text.line)
        strange = not_gsm7(text.body)
        if strange:
            shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in strange)
            problems.add(
                _problem(
                    *where,
                    f"text {text.id} has characters GSM-7 cannot send: {shown}",
                    "write plain letters (a for \u00e2), straight quotes and hyphens",
                    "texts-gsm7",
                )
            )
        elif segments(text.body) > MAX_SEGMENTS:
            problems.add(
                _problem(
                    *where,
                    f"text {text.id} is {septets(text.body)} characters, "
                    f"{segments(text.body)} SMS; at most {MAX_SEGMENTS} (306 characters)",
                    f"shorten it by {septets(text.body) - 306} characters",
                    "texts-length",
                )
            )
        if service_name and service_name not in text.body:
            problems.add(
                _problem(
                    *where,
                    f"text {text.id} does not give the helpline's name",
                    "say who it is from: write {service} in it",
                    "texts-name",
                )
            )
        lines = text.body.splitlines()
        if book.no_reply and book.no_reply not in lines:
            problems.add(
                _problem(
                    *where,
                    f"text {text.id} has no line saying this number takes no replies",
                    f"end it with a line of its own: {book.no_reply}",
                    "texts-no-reply",
                )
            )
        if "{" in text.body:
            problems.add(
                _problem(
                    *where,
                    f"text {text.id} has a placeholder filled only during a call",
                    "use {service}, the settings' and services' placeholders only",
                    "texts-offered",
                )
            )


def check_offers(flow: Flow, book: TextBook, problems: ProblemList) -> None:
    """Each part the flow offers a text in has a key free for it, and the text exists; each
    text is offered somewhere; the question of whether the call helped ends parts with choices."""
    texts_at = written_at(next(iter(flow.texts), ""), "flows")
    for node_id, text_id in flow.texts.items():
        node = flow.nodes.get(node_id)
        at = written_at(node_id, texts_at[0])
        if not isinstance(node, ChoiceNode):
            problems.add(
                _problem(
                    *at,
                    f"texts: {node_id} is not a part with choices (menu, info or summary)",
                    "offer texts only in such a part",
                    "texts-offered",
                )
            )
        elif len(node.options) > MAX_OPTIONS_WITH_TEXT:
            problems.add(
                _problem(
                    *at,
                    f"texts: {node_id} has {len(node.options)} options, so no key is left for "
                    "the text",
                    f"offer it in a part with at most {MAX_OPTIONS_WITH_TEXT} options",
                    "texts-offered",
                )
            )
        if text_id not in book:
            problems.add(
                _problem(
                    *written_at(text_id, at[0]),
                    f"texts: {node_id} offers text {text_id}, which {book.file} does not have",
                    f"add `{text_id}:` under `texts:` in {book.file}",
                    "texts-offered",
                )
            )
    offered = set(flow.texts.values())
    for text in book.texts.values():
        if text.id not in offered:
            problems.add(
                _problem(
                    text.file,
                    text.line,
                    f"text {text.id} is offered in no part",
                    "offer it under `texts:` in the flow, or delete it",
                    "texts-offered",
                )
            )
    for node_id in flow.feedback:
        node = flow.nodes.get(node_id)
        if not isinstance(node, ChoiceNode | TransferNode):
            problems.add(
                _problem(
                    *written_at(node_id, "flows"),
                    f"feedback: {node_id} is not a part with choices (menu, info or summary), "
                    "nor a call to a service",
                    "ask whether the call helped only at the end of such a part",
                    "feedback-parts",
                )
            )


def check_texts_mirror(first: TextBook, book: TextBook, problems: ProblemList) -> None:
    """Every text of the first language is in this one, with the same placeholders."""
    for text_id, source in first.raw.items():
        found = book.raw.get(text_id)
        if found is None:
            problems.add(
                _problem(
                    book.file,
                    max((r.line for r in book.raw.values()), default=0),
                    f"has no text {text_id}, which {first.language} has "
                    f"({source.file}:{source.line})",
                    f"add `{text_id}:` under `texts:` in {book.file}, written in {book.language}",
                    "mirror",
                )
            )
            continue
        want, have = _names(source.text), _names(found.text)
        if want is not None and have is not None and want != have:
            problems.add(
                _problem(
                    found.file,
                    found.line,
                    f"text {text_id} uses {sorted(have)}, where {first.language} uses "
                    f"{sorted(want)}",
                    "write it with exactly the same {placeholders}",
                    "mirror",
                )
            )


def _names(text: str) -> frozenset[str] | None:
    try:
        return frozenset(placeholders(text))
    except ValueError:
        return None
