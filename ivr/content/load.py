"""The flow and its prompts, loaded and checked together: what the helpline starts with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from ivr.content.checks import (
    check_flow,
    check_language_use,
    check_readability,
    check_review_date,
    check_transfers,
)
from ivr.content.checks.rules import written_at
from ivr.content.checks.texts import check_offers, check_texts, check_texts_mirror
from ivr.content.flows import load_flow
from ivr.content.hours import Hours, nurse_hours_sentence, opening_sentence, possible_openings
from ivr.content.language import (
    LANGUAGE_FILE,
    PROMPTS_DIR,
    Language,
    Languages,
    language_codes,
    load_language,
)
from ivr.content.mirror import check_flow_words, check_language_keys, check_mirror
from ivr.content.model import (
    DEFAULT_RETENTION_DAYS,
    DEFAULT_RUN_BY,
    OPENS,
    Flow,
    Prompt,
    PromptBook,
)
from ivr.content.problems import ContentError, Problem, ProblemList
from ivr.content.prompts import (
    HOURS_FILE,
    RawPrompt,
    check_vocabulary,
    fill_prompts,
    load_raw_prompts,
)
from ivr.content.readability import word_count
from ivr.content.review import FileReview, LanguageReview, read_mark, unreviewed_problem
from ivr.content.services import (
    Service,
    check_services,
    line_hours,
    load_services,
    prompt_values,
)
from ivr.content.texts import TextBook, load_texts
from ivr.content.wording import Wording, check_editorial, check_text, load_wording


@dataclass(frozen=True)
class Content:
    """The flow and its prompts, loaded and checked; warnings do not stop the helpline."""

    flow: Flow
    prompts: PromptBook  # in the language calls start in
    warnings: tuple[Problem, ...]
    languages: Languages
    services: Mapping[str, Service] = field(default_factory=dict)
    # Each language but the first: its files' review marks; and the rules its wording skips.
    reviews: Mapping[str, LanguageReview] = field(default_factory=dict)
    skipped: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Each language's texts (prompts/<language>/texts.yaml), for callers who ask for one.
    texts: Mapping[str, TextBook] = field(default_factory=dict)


@dataclass(frozen=True)
class _Read:
    """One language as read, before the checks that need the flow."""

    code: str
    raw: Mapping[str, RawPrompt]
    vocabulary: Mapping[str, RawPrompt]  # the words for saying hours
    prompts: PromptBook
    language: Language | None
    wording: Wording | None
    texts: TextBook = field(default_factory=lambda: TextBook(""))
    service: str = ""  # the helpline's name in this language ({service})

    def hours_word(self, prompt_id: str) -> str:
        """One of the words for saying hours, as written."""
        return self.vocabulary[prompt_id].text

    def written(self) -> dict[str, RawPrompt]:
        """Every prompt as written, the words for hours too."""
        return {**self.raw, **self.vocabulary}


def collect_content(
    root: Path,
    service: str,
    hours: Hours,
    today: dt.date | None = None,
    readability: bool = True,
    run_by: str = DEFAULT_RUN_BY,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    service_names: Mapping[str, str] = MappingProxyType({}),
) -> tuple[Content | None, ProblemList]:
    """Load and check everything under root (flows/, each language's prompts/<language>/,
    data/), keeping every problem.

    The editorial rules (readability, the choices' words, phrases to avoid) are for `ivr check`
    and the tests; start-up skips them, so a long SERVICE_NAME can lower a score without
    stopping the helpline. The rules about safety and honesty run at start-up too.
    """
    problems = ProblemList()
    services = load_services(root, problems)
    codes = language_codes(root)
    flow = load_flow(root / "flows", problems, root)
    first = _first_language(flow.language if flow else "", codes, root, problems)
    values = {"run_by": run_by, "retention_days": str(retention_days)}
    # The first language is called SERVICE_NAME; another by SERVICE_NAME_<LANGUAGE>, else its own.
    names = {**({first: service} if first else {}), **dict(service_names)}
    read = [
        _read_language(root, code, values, names, hours, services, code == first, problems)
        for code in codes
    ]
    if flow is None or first is None or problems.errors():
        return None, problems
    books: dict[str, PromptBook] = {}
    source = next(one for one in read if one.code == first)
    reviews: dict[str, LanguageReview] = {}
    for one in read:
        made = _opening_prompts(flow, hours, services, one.vocabulary, one.hours_word)
        book = PromptBook(MappingProxyType({**one.prompts.prompts, **made}), one.code)
        books[one.code] = book
        if one.code == first:
            _check_language(flow, book, one, hours, readability, problems)
            continue
        reviews[one.code] = _reviews(root, one, today or dt.date.today(), problems)
        check_language_keys(root, first, one.code, problems)
        check_flow_words(flow, one.code, root, problems)
        check_texts_mirror(source.texts, one.texts, problems)
        if check_mirror(first, source.written(), one.code, one.written(), problems):
            found = ProblemList()  # named with the language where the file does not say it
            _check_language(flow, book, one, hours, readability, found)
            for problem in found.items:
                problems.add(_in_language(problem, one.code))
    check_review_date(flow, today or dt.date.today(), problems)
    check_services(services, today or dt.date.today(), problems)
    check_transfers(flow, services, problems)
    if problems.errors():
        return None, problems
    words = {one.code: one.language for one in read if one.language is not None}
    languages = Languages(first, MappingProxyType(words), MappingProxyType(books))
    skipped = {one.code: one.wording.skip for one in read if one.wording and one.wording.skip}
    texts = MappingProxyType({one.code: one.texts for one in read})
    content = Content(
        flow, books[first], tuple(problems.warnings()), languages, services, reviews, skipped, texts
    )
    return content, problems


def _in_language(problem: Problem, code: str) -> Problem:
    """A problem found with a language's prompts, named with it unless its file already is."""
    if f"/{code}/" in f"/{problem.file}" or problem.file.endswith(f"{code}.yaml"):
        return problem
    return replace(problem, message=f"in {code}: {problem.message}")


def _reviews(root: Path, read: _Read, today: dt.date, problems: ProblemList) -> LanguageReview:
    """The review mark of each of a language's files, with its prompts and words."""
    folder = root / PROMPTS_DIR / read.code
    files: list[FileReview] = []
    for path in sorted(folder.glob("*.yaml")):
        file = f"{PROMPTS_DIR}/{read.code}/{path.name}"
        mark = read_mark(path, file, today, problems)
        said = [p for p in read.written().values() if p.file == file]
        files.append(replace(mark, prompts=len(said), words=sum(word_count(p.text) for p in said)))
    return LanguageReview(read.code, tuple(files))


def _read_language(
    root: Path,
    code: str,
    values: Mapping[str, str],
    service_names: Mapping[str, str],
    hours: Hours,
    services: Mapping[str, Service],
    is_first: bool,
    problems: ProblemList,
) -> _Read:
    """A language's prompts with their placeholders filled, its own words and its wording."""
    raw = load_raw_prompts(root / PROMPTS_DIR / code, problems, root)
    vocabulary = {i: raw.pop(i) for i in list(raw) if i.startswith(HOURS_FILE)}
    words = {i: p.text for i, p in vocabulary.items()}.__getitem__
    # The hours are only said once their words are known to be whole and well-formed.
    words_ok = check_vocabulary(vocabulary, problems, f"{PROMPTS_DIR}/{code}")
    spoken = nurse_hours_sentence(hours, words) if words_ok else ""
    said = (
        prompt_values(services, words, lambda i: raw[i].spoken if i in raw else "", is_first)
        if words_ok
        else ({}, {})
    )
    language = load_language(root, code, problems)
    own = language.service_name if language else ""
    service = service_names.get(code) or own or next(iter(service_names.values()), "")
    filled = {**values, "service": service, "nurse_hours": spoken}
    prompts = fill_prompts(raw, filled, problems, said)
    texts = load_texts(root, code, filled, (said[0], said[0]), problems)
    wording = load_wording(root, code, problems)
    return _Read(code, raw, vocabulary, prompts, language, wording, texts, service)


def _check_language(
    flow: Flow,
    book: PromptBook,
    read: _Read,
    hours: Hours,
    readability: bool,
    problems: ProblemList,
) -> None:
    """Every check of the flow with one language's prompts and words."""
    assert read.language is not None and read.wording is not None  # else they were problems
    check_flow(flow, book, problems)
    check_texts(read.texts, read.service, problems)
    check_offers(flow, read.texts, problems)
    check_language_use(flow, book, read.language, read.wording.press, problems)
    check_text(book, read.raw, read.hours_word, hours, read.wording, problems)
    if readability:
        check_readability(book, problems)
        check_editorial(flow, book, read.wording, problems)


def _first_language(
    named: str, codes: tuple[str, ...], root: Path, problems: ProblemList
) -> str | None:
    """The language calls start in: the flow's `language:`, or the only one there is."""
    if not codes:
        problems.add(
            Problem(
                str(root / PROMPTS_DIR),
                0,
                "holds no language folder",
                f"add prompts/en-GB/ with the prompt files and {LANGUAGE_FILE}",
            )
        )
        return None
    if named in codes or (not named and len(codes) == 1):
        return named or codes[0]
    if named:
        problems.add(
            Problem(
                *written_at(named, "flows"),
                f"calls start in {named}, which has no folder under {PROMPTS_DIR}/",
                f"name one of {', '.join(codes)}, or add {PROMPTS_DIR}/{named}/",
            )
        )
    else:
        problems.add(
            Problem(
                "flows",
                0,
                f"{PROMPTS_DIR}/ holds {len(codes)} languages ({', '.join(codes)}) and no flow "
                "file says which one calls start in",
                f"add `language: {codes[0]}` to one flow file",
            )
        )
    return None


def load_first_language(root: Path) -> Language:
    """The words of the language calls start in, read on their own: for the Fallback when it
    has no prompts. Raises ContentError when even they cannot be read."""
    problems = ProblemList()
    codes = language_codes(root)
    # Only where there are several languages does the flow need reading, to choose one.
    flow = load_flow(root / "flows", problems, root) if len(codes) > 1 else None
    first = _first_language(flow.language if flow else "", codes, root, problems)
    language = load_language(root, first, problems) if first else None
    if language is None:
        raise ContentError(problems.errors())
    return language


def _opening_prompts(
    flow: Flow,
    hours: Hours,
    services: Mapping[str, Service],
    vocabulary: Mapping[str, RawPrompt],
    words: Callable[[str], str],
) -> dict[str, Prompt]:
    """The sentences that say when a closed line opens ("It opens tomorrow at 8 in the
    morning."), for each line the flow names with opens.<line>: every one its hours can need,
    made once so that each is rendered like any other prompt."""
    lines = {
        prompt_id.removeprefix(OPENS)
        for node in flow.nodes.values()
        for prompt_id in node.prompt_ids()
        if prompt_id.startswith(OPENS)
    }
    made: dict[str, Prompt] = {}
    for line in sorted(lines):
        known = line_hours(line, hours, services)
        if known is None:
            continue  # reported by the checks (opens-line)
        for opening in possible_openings(known):
            word = vocabulary[
                f"hours.opens_{opening.when if opening.when in ('today', 'tomorrow') else 'on'}"
            ]
            text = opening_sentence(opening, words)
            prompt_id = opening.prompt_id(line)
            made[prompt_id] = Prompt(prompt_id, text, text, word.file, word.line)
    return made


def load_content(
    root: Path,
    service: str,
    hours: Hours,
    today: dt.date | None = None,
    run_by: str = DEFAULT_RUN_BY,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    offered: Collection[str] = (),
    unreviewed: Collection[str] = (),
    service_names: Mapping[str, str] = MappingProxyType({}),
) -> Content:
    """Load and check the content for start-up; raise ContentError naming every problem.

    Calls are offered the languages named (LANGUAGES; none named: the first alone). A language
    with files no fluent speaker has reviewed is offered only if named in `unreviewed`
    (LANGUAGES_UNREVIEWED), with a warning for each such file; else start-up refuses."""
    content, problems = collect_content(
        root,
        service,
        hours,
        today,
        readability=False,
        run_by=run_by,
        retention_days=retention_days,
        service_names=service_names,
    )
    problems.raise_if_any()
    assert content is not None  # no errors means the content was built
    return offer(content, offered, unreviewed)


def offer(content: Content, offered: Collection[str], unreviewed: Collection[str]) -> Content:
    """The content with only the languages offered; ContentError where one cannot be."""
    first = content.languages.first
    codes = tuple(offered) or (first,)
    problems = ProblemList()
    if first not in codes:
        problems.add(
            Problem(
                *written_at(content.flow.language or first, "flows"),
                f"LANGUAGES ({', '.join(codes)}) leaves out {first}, the language calls start in",
                f"add {first} to LANGUAGES, or name another first language here",
            )
        )
    for code in codes:
        if code not in content.languages.words:
            problems.add(
                Problem(
                    f"{PROMPTS_DIR}/{code}",
                    0,
                    f"LANGUAGES offers {code}, which has no folder of prompts",
                    f"add {PROMPTS_DIR}/{code}/, or take {code} out of LANGUAGES",
                )
            )
        elif code != first:
            allowed = code in unreviewed
            for file in content.reviews[code].unreviewed():
                problems.add(unreviewed_problem(file, code, warning=allowed))
    problems.raise_if_any()
    languages = Languages(
        first,
        MappingProxyType({c: w for c, w in content.languages.words.items() if c in codes}),
        MappingProxyType({c: b for c, b in content.languages.prompts.items() if c in codes}),
    )
    return replace(content, languages=languages, warnings=(*content.warnings, *problems.warnings()))
