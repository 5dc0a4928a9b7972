"""Review marks: which files of a language a fluent speaker has reviewed, by whom and when.

Every file of a language other than the first (prompts/<language>/*.yaml, language.yaml too)
carries a comment at its top, among the comments before the first key:

    # review: none yet (a fluent Welsh speaker must review this file before the public hears it)
    # review: Siân Evans, 2026-12-01

A file with no mark counts as not reviewed. A mark that is neither form is an error, at its line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ivr.content.problems import Problem, ProblemList

_MARK = re.compile(r"^#\s*review:\s*(?P<value>.*?)\s*$", re.IGNORECASE)
_REVIEWED = re.compile(r"^(?P<name>[^,]*\S)\s*,\s*(?P<date>\d{4}-\d{2}-\d{2})$")
NOT_YET = "none yet"
MARK_FORMS = f"`# review: {NOT_YET}`, or `# review: <name>, <YYYY-MM-DD>`"


@dataclass(frozen=True, slots=True)
class FileReview:
    """One file's review mark, and how much callers hear of it."""

    file: str
    line: int  # the mark's line; 0 where the file has none
    reviewer: str  # "" until a fluent speaker has reviewed it
    date: dt.date | None
    prompts: int = 0
    words: int = 0

    @property
    def reviewed(self) -> bool:
        return bool(self.reviewer)


@dataclass(frozen=True)
class LanguageReview:
    """A language's files by review mark; its share reviewed by files, prompts and words."""

    code: str
    files: tuple[FileReview, ...]

    def unreviewed(self) -> tuple[FileReview, ...]:
        return tuple(f for f in self.files if not f.reviewed)

    def share(self) -> tuple[int, int, int, int]:
        """Prompts reviewed, prompts, words reviewed, words."""
        done = [f for f in self.files if f.reviewed]
        return (
            sum(f.prompts for f in done),
            sum(f.prompts for f in self.files),
            sum(f.words for f in done),
            sum(f.words for f in self.files),
        )


def read_mark(path: Path, file: str, today: dt.date, problems: ProblemList) -> FileReview:
    """The review mark among a file's first comments; a malformed one is a problem."""
    found: FileReview | None = None
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break  # the mark is among the comments at the top
        match = _MARK.match(stripped)
        if match is None:
            continue
        if found is not None:
            problems.add(_problem(file, number, f"has a second review mark (line {found.line})"))
            continue
        found = _parse(match["value"], file, number, today, problems)
    return found or FileReview(file, 0, "", None)


def _parse(value: str, file: str, line: int, today: dt.date, problems: ProblemList) -> FileReview:
    if value.lower().startswith(NOT_YET):
        return FileReview(file, line, "", None)
    match = _REVIEWED.match(value)
    date = None
    if match is not None:
        try:
            date = dt.date.fromisoformat(match["date"])
        except ValueError:
            problems.add(_problem(file, line, f"review mark has no such date: {match['date']}"))
            return FileReview(file, line, "", None)
    if match is None or date is None:
        problems.add(_problem(file, line, f"review mark {value!r} is not a mark the check reads"))
        return FileReview(file, line, "", None)
    if date > today:
        problems.add(_problem(file, line, f"review mark is dated {date}, after today"))
        return FileReview(file, line, "", None)
    return FileReview(file, line, match["name"], date)


def _problem(file: str, line: int, message: str) -> Problem:
    return Problem(
        file,
        line,
        message,
        f"write one mark at the top: {MARK_FORMS} once a fluent speaker has reviewed it",
        rule="review-mark",
    )


def unreviewed_problem(review: FileReview, code: str, warning: bool) -> Problem:
    """A file no fluent speaker has reviewed, as a warning (`ivr check`, or a language allowed
    to go live unreviewed) or an error (start-up offering it)."""
    mark = "marked none yet" if review.line else "has no review mark"
    return Problem(
        review.file,
        review.line,
        f"NOT REVIEWED by a fluent {code} speaker ({mark}): {review.prompts} prompts, "
        f"{review.words} words",
        f"have a fluent {code} speaker review it, then write `# review: <name>, <YYYY-MM-DD>` "
        f"at its top; until then offer {code} only in testing (LANGUAGES_UNREVIEWED={code})",
        warning=warning,
        rule="review-mark",
    )
