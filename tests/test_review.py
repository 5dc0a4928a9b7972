"""Languages other than the first: review marks read with file and line, the share reviewed,
which languages the line offers (LANGUAGES), and start-up refusing unreviewed text unless
LANGUAGES_UNREVIEWED allows it; and their prompts held to sentence and word length."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from ivr.config import ConfigError, load_settings
from ivr.content.load import load_content
from ivr.content.problems import ContentError, ProblemList
from ivr.content.readability import measure
from ivr.content.review import read_mark
from tests.conftest import ENV
from tests.trees import HOURS, ROOT, SERVICE, TODAY, Like, assert_problems, collect

WELSH = "prompts/cy-GB"


def real_copy(tmp_path: Path) -> Path:
    """The project's own content, copied, to change in."""
    for folder in ("flows", "prompts", "data"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def mark(root: Path, stem: str, line: str) -> None:
    """Write a file's review mark (its second line) as given."""
    path = root / WELSH / f"{stem}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[1].startswith("# review: none yet")
    lines[1] = line + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def test_the_welsh_draft_is_marked_and_counted_unreviewed() -> None:
    """Every Welsh file is marked none yet, on line 2, and the share reviewed is nothing."""
    content, problems = collect(ROOT)
    assert problems.errors() == [] and content is not None
    review = content.reviews["cy-GB"]
    assert "en-GB" not in content.reviews
    assert {(f.line, f.reviewed) for f in review.files} == {(2, False)}
    assert len(review.files) == len(list((ROOT / WELSH).glob("*.yaml")))
    done, prompts, done_words, words = review.share()
    assert (done, done_words) == (0, 0) and prompts > 150 and words > 3000


def test_a_reviewed_file_counts_its_prompts_and_words(tmp_path: Path) -> None:
    """A mark with a name and a date counts that file's prompts and words as reviewed."""
    root = real_copy(tmp_path)
    mark(root, "welcome", "# review: Siân Evans, 2024-12-01")
    content, problems = collect(root)
    assert problems.errors() == [] and content is not None
    review = content.reviews["cy-GB"]
    [welcome] = [f for f in review.files if f.file == f"{WELSH}/welcome.yaml"]
    assert (welcome.reviewer, welcome.date, welcome.prompts) == (
        "Siân Evans",
        dt.date(2024, 12, 1),
        3,
    )
    assert review.share()[0] == 3 and review.share()[2] == welcome.words > 0


def test_a_file_with_no_mark_is_unreviewed(tmp_path: Path) -> None:
    """No mark at all counts as not reviewed, with line 0."""
    path = tmp_path / "x.yaml"
    path.write_text("# a comment\nhello: hi\n# review: Siân Evans, 2024-12-01\n", encoding="utf-8")
    problems = ProblemList()
    found = read_mark(path, "x.yaml", TODAY, problems)
    assert (found.line, found.reviewed, problems.items) == (0, False, [])


def test_two_marks_are_one_too_many(tmp_path: Path) -> None:
    """A second mark is named at its line."""
    path = tmp_path / "x.yaml"
    path.write_text(
        "# review: none yet\n# review: Siân Evans, 2024-12-01\nhi: a\n", encoding="utf-8"
    )
    problems = ProblemList()
    read_mark(path, "x.yaml", TODAY, problems)
    assert_problems(problems.items, [Like("x.yaml", 2, "has a second review mark (line 1)", "")])


def start(root: Path, offered: tuple[str, ...], unreviewed: tuple[str, ...] = ()) -> object:
    """Load the content as start-up does, offering the languages given."""
    return load_content(root, SERVICE, HOURS, TODAY, offered=offered, unreviewed=unreviewed)


def test_only_the_first_language_is_offered_unless_languages_says(tmp_path: Path) -> None:
    """With LANGUAGES unset, calls are offered the first language only, Welsh folder or not."""
    content = load_content(ROOT, SERVICE, HOURS, TODAY)
    assert set(content.languages.words) == set(content.languages.prompts) == {"en-GB"}
    assert content.languages.others() == frozenset()


def test_start_up_refuses_to_offer_unreviewed_welsh(tmp_path: Path) -> None:
    """Offering cy-GB unreviewed stops start-up, naming every unreviewed file at its mark."""
    root = real_copy(tmp_path)
    mark(root, "welcome", "# review: Siân Evans, 2024-12-01")
    with pytest.raises(ContentError) as raised:
        load_content(root, SERVICE, HOURS, TODAY, offered=("en-GB", "cy-GB"))
    files = sorted(p.name for p in (root / WELSH).glob("*.yaml") if p.name != "welcome.yaml")
    assert_problems(
        raised.value.problems,
        [
            Like(f"{WELSH}/{name}", 2, "NOT REVIEWED by a fluent cy-GB speaker", "review it")
            for name in files
        ],
    )
    assert "LANGUAGES_UNREVIEWED=cy-GB" in str(raised.value)


def test_languages_unreviewed_lets_welsh_go_live_with_warnings(tmp_path: Path) -> None:
    """Named in LANGUAGES_UNREVIEWED, cy-GB is offered, and each unreviewed file is a warning."""
    content = load_content(
        ROOT, SERVICE, HOURS, TODAY, offered=("en-GB", "cy-GB"), unreviewed=("cy-GB",)
    )
    assert content.languages.others() == {"cy-GB"}
    warned = {w.file for w in content.warnings if w.rule == "review-mark"}
    assert warned == {f"{WELSH}/{p.name}" for p in (ROOT / WELSH).glob("*.yaml")}


def test_languages_must_be_there_and_keep_the_first(tmp_path: Path) -> None:
    """A language with no folder, or LANGUAGES without the first, is named with its fix."""
    with pytest.raises(ContentError) as raised:
        load_content(ROOT, SERVICE, HOURS, TODAY, offered=("cy-GB", "fr-FR"))
    flow = (ROOT / "flows" / "helpline.yaml").read_text(encoding="utf-8").splitlines()
    assert_problems(
        [p for p in raised.value.problems if p.rule != "review-mark"],
        [
            Like(
                "flows/helpline.yaml",
                flow.index("language: en-GB") + 1,
                "leaves out en-GB, the language calls start in",
                "add en-GB to LANGUAGES",
            ),
            Like("prompts/fr-FR", 0, "LANGUAGES offers fr-FR, which has no folder", "add"),
        ],
    )


def test_the_settings_read_languages() -> None:
    """LANGUAGES and LANGUAGES_UNREVIEWED are lists of codes; a wrong one is named."""
    settings = load_settings({**ENV, "LANGUAGES": "en-GB, cy-GB", "LANGUAGES_UNREVIEWED": "cy-GB"})
    assert (settings.languages, settings.languages_unreviewed) == (("en-GB", "cy-GB"), ("cy-GB",))
    assert load_settings(ENV).languages == ()
    with pytest.raises(ConfigError, match="LANGUAGES='welsh': welsh is not a language"):
        load_settings({**ENV, "LANGUAGES": "welsh"})


def test_other_languages_are_held_to_word_length_not_flesch() -> None:
    """Welsh is scored by sentence and word length; English by reading ease as before."""
    short = "Mae ail farn yn golygu gofyn i feddyg arall. Gallwch ofyn i'ch tîm chi am un."
    long = (
        "Cyfrinachedd gwasanaethau cynghori cenedlaethol annibynnol. Cydweithrediad "
        "gweithwyr gofal iechyd proffesiynol arbenigol ledled Cymru a'r Alban heddiw."
    )
    assert measure(short, "cy-GB").passes and not measure(short, "cy-GB").flesch
    score = measure(long, "cy-GB")
    assert score.average_word > 6 and not score.passes
    assert measure(long, "en-GB").flesch


def test_a_welsh_prompt_of_long_words_fails_readability(tmp_path: Path) -> None:
    """`ivr check` names a Welsh prompt of long words at its line, by letters a word."""
    root = real_copy(tmp_path)
    path = root / WELSH / "voicemail.yaml"
    text = path.read_text(encoding="utf-8")
    old = 'intro: "Gallwch adael neges i\'r nyrsys."'
    assert text.count(old) == 1
    new = (
        'intro: "Cyfrinachedd gwasanaethau cynghori cenedlaethol annibynnol. Cydweithrediad '
        'gweithwyr gofal iechyd proffesiynol arbenigol ledled Cymru heddiw."'
    )
    path.write_text(text.replace(old, new), encoding="utf-8")
    _, problems = collect(root, readability=True)
    line = text[: text.index(old)].count("\n") + 1
    assert_problems(
        [p for p in problems.errors() if p.rule == "readability"],
        [Like(f"{WELSH}/voicemail.yaml", line, "letters a word (at most 6)", "shorter words")],
    )


def test_rules_a_language_skips_are_named() -> None:
    """The Welsh wording skips the choice-wording rules, each with its reason, never silently."""
    content, _ = collect(ROOT)
    assert content is not None
    assert set(content.skipped["cy-GB"]) == {"labels-lead-there", "labels-apart"}
    assert all("mutations" in why for why in content.skipped["cy-GB"].values())
    assert "en-GB" not in content.skipped


def test_a_flow_problem_found_in_welsh_names_the_language(tmp_path: Path) -> None:
    """A problem in the flow's file found with the Welsh prompts says it is in cy-GB."""
    root = real_copy(tmp_path)
    path = root / WELSH / "main.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(" Os na fydd eich meddyg yn eich atgyfeirio, pwyswch 4.", ""))
    _, problems = collect(root)
    flow = (root / "flows" / "helpline.yaml").read_text(encoding="utf-8").splitlines()
    assert_problems(
        problems.errors(),
        [
            Like(
                "flows/helpline.yaml",
                flow.index("  main:") + 1,
                "in cy-GB: never tells the caller to pwyswch 4",
                "pwyswch 4",
                node="main",
            )
        ],
    )


def test_check_reports_each_language() -> None:
    """`ivr check` gives each language's figures, the rules skipped, and warns loudly."""
    from ivr.report import content_report

    text, ok = content_report(load_settings(ENV, development=True), TODAY)
    assert ok, text
    assert "  en-GB: " in text and "  cy-GB: " in text
    assert (
        "Flesch reading ease is for English, so cy-GB is held to sentence and word length" in text
    )
    assert "rule labels-lead-there SKIPPED for cy-GB: " in text
    assert "reviewed by a fluent cy-GB speaker: 0 of 20 files" in text
    assert "WARNING: TEXT NO FLUENT SPEAKER HAS REVIEWED" in text
    assert f"  {WELSH}/welcome.yaml:2  3 prompts" in text
