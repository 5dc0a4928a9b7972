"""A language's own words (prompts/<language>/language.yaml): loaded once, checked with file,
line and fix, and found by folder, so that another language needs only a folder of YAML."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ivr.call.engine import Engine
from ivr.call.state import CallState, Decoded
from ivr.config import Settings
from ivr.content.hours import parse_hours
from ivr.content.language import Intent, language_codes, load_language
from ivr.content.load import load_first_language
from ivr.content.problems import ContentError, ProblemList
from ivr.webhooks.paths import WebhookPaths
from ivr.webhooks.twiml import Voice, render
from tests.trees import ROOT, TODAY, Like, assert_problems, collect, edit, line_of

LANGUAGE_FILE = "prompts/en-GB/language.yaml"
REAL = (ROOT / LANGUAGE_FILE).read_text(encoding="utf-8")


def real_copy(tmp_path: Path) -> Path:
    """The project's own content, copied, to change in."""
    for folder in ("flows", "prompts", "data"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def with_language_file(tmp_path: Path, text: str) -> Path:
    """A copy of the real content with language.yaml written as given."""
    root = real_copy(tmp_path)
    (root / LANGUAGE_FILE).write_text(text, encoding="utf-8")
    return root


def test_the_real_words_load() -> None:
    """The real file gives what callers may say, the hints, key names and the last resort."""
    problems = ProblemList()
    language = load_language(ROOT, "en-GB", problems)
    assert problems.items == []
    assert language is not None
    assert language.code == "en-GB"
    assert language.say[Intent.OPERATOR] == ("nurse", "person", "operator", "help", "someone")
    assert language.say[Intent.NO] == ("no", "nope", "it isn't", "not really")
    assert language.keys_said["oh"] == language.keys_said["0"] == "0"
    assert language.keys_said["hash"] == "#" and "eight" not in language.keys_said
    assert language.hints == ("nurse", "main menu", "repeat", "back", "slower")
    assert language.yes_no_hints == ("yes", "no")
    assert language.key_names["*"] == "star" and language.key_names["3"] == "three"
    assert language.last_resort.sorry == "Sorry, this line is not working."
    assert language.last_resort.line == line_of(REAL, "safety: >-")


def test_languages_are_found_by_their_folders(tmp_path: Path) -> None:
    """Each folder under prompts/ is a language; the file it keeps beside them is no prompt."""
    root = real_copy(tmp_path)
    assert language_codes(root) == ("cy-GB", "en-GB")
    shutil.rmtree(root / "prompts" / "cy-GB")
    assert language_codes(root) == ("en-GB",)
    (root / "prompts" / "cy-GB").mkdir()
    assert language_codes(root) == ("cy-GB", "en-GB")
    content, _ = collect(real_copy(tmp_path / "again"))
    assert content is not None
    assert not any(p.startswith("language.") for p in content.prompts.prompts)
    assert content.prompts.language == content.languages.first == "en-GB"


BREAKS = {
    "a missing list": (
        "  back: [back, go back]                                    # *: one step back\n",
        "",
        "  operator: [nurse",  # a missing key is named where its mapping starts
        "'back' is a required property",
    ),
    "a word that is not a string": (
        "repeat: [repeat, again]",
        "repeat: [repeat, {again: 2}]",
        "repeat: [repeat",
        "is not of type 'string'",
    ),
    "a key no phone has": ('  "4": [four]\n', '  "4": [four]\n  "A": [ay]\n', '"A": [ay]', "'A'"),
    "a key name missing": ('  "9": nine\n', "", '"0": zero', "'9' is a required property"),
    "a word the matching can never hear": (
        "slow down, more slowly",
        "slow-down, more slowly",
        "slow-down",
        "'slow-down' can never be heard as written",
    ),
    "one word for two things": (
        "repeat: [repeat, again]",
        "repeat: [repeat, again, back]",
        "  back: [back, go back]",
        "'back' is also under say: repeat",
    ),
    "a word for two keys": ('  "4": [four]', '  "4": [four, two]', '"4": [four, two]', "'two'"),
    "a last resort that says nothing": (
        'sorry: "Sorry, this line is not working."',
        'sorry: ""',
        'sorry: ""',
        "''",
    ),
}


@pytest.mark.parametrize(("old", "new", "at", "message"), BREAKS.values(), ids=BREAKS.keys())
def test_a_broken_language_file_names_its_line(
    tmp_path: Path, old: str, new: str, at: str, message: str
) -> None:
    """Each mistake an editor could make is one problem, on the line to fix."""
    text = edit(REAL, old, new)
    content, problems = collect(with_language_file(tmp_path, text), today=TODAY)
    assert content is None
    assert_problems(problems.errors(), [Like(LANGUAGE_FILE, line_of(text, at), message, "")])


def test_a_syntax_error_names_its_line(tmp_path: Path) -> None:
    """Broken YAML in the language file is named at its line, like any other file."""
    text = edit(REAL, '  "1": [one]\n', '  "1": [one\n')
    _, problems = collect(with_language_file(tmp_path, text), today=TODAY)
    [problem] = problems.errors()
    assert problem.file == LANGUAGE_FILE and problem.line > 0


def test_a_missing_language_file_says_what_to_do(tmp_path: Path) -> None:
    """Without the file the helpline does not start, and the editor is told to copy one."""
    root = real_copy(tmp_path)
    (root / LANGUAGE_FILE).unlink()
    content, problems = collect(root, today=TODAY)
    assert content is None
    assert_problems(
        problems.errors(),
        [Like(LANGUAGE_FILE, 0, "is missing", "copy another language's language.yaml here")],
    )
    with pytest.raises(ContentError, match=r"language\.yaml: is missing"):
        load_first_language(root)


def test_the_fallback_reads_its_last_resort_alone(tmp_path: Path) -> None:
    """With every prompt file broken, the last resort is still read from the language file."""
    root = real_copy(tmp_path)
    for path in (root / "prompts" / "en-GB").glob("*.yaml"):
        if path.name != "language.yaml":
            path.write_text("broken: [", encoding="utf-8")
    assert load_first_language(root).last_resort.safety.startswith("If it is an emergency")


def second_language(tmp_path: Path, flow_language: str | None = "en-GB") -> Path:
    """The real content with a copy of en-GB as cy-GB, whose callers say "nyrs" for a nurse."""
    root = real_copy(tmp_path)
    shutil.rmtree(root / "prompts" / "cy-GB")
    shutil.copytree(root / "prompts" / "en-GB", root / "prompts" / "cy-GB")
    shutil.copy(root / "data" / "wording" / "en-GB.yaml", root / "data" / "wording" / "cy-GB.yaml")
    words = root / "prompts" / "cy-GB" / "language.yaml"
    # A language the flow is not written in gives its options' words and parts' titles too.
    welsh = (ROOT / "prompts" / "cy-GB" / "language.yaml").read_text(encoding="utf-8")
    flow_words = welsh[welsh.index("\nchoices:") :]
    words.write_text(edit(REAL, "operator: [nurse,", "operator: [nyrs,") + flow_words, "utf-8")
    flow = root / "flows" / "helpline.yaml"
    text = flow.read_text(encoding="utf-8")
    language = "" if flow_language is None else f"language: {flow_language}\n"
    flow.write_text(edit(text, "language: en-GB\n", language), encoding="utf-8")
    return root


def test_a_second_language_needs_only_a_folder_of_yaml(tmp_path: Path, settings: Settings) -> None:
    """A call in another language hears its words matched and its language named in TwiML."""
    content, problems = collect(second_language(tmp_path), today=TODAY)
    assert [str(p) for p in problems.errors()] == []
    assert content is not None
    assert content.languages.others() == {"cy-GB"}
    engine = Engine(
        content.flow, parse_hours("always"), "+441632960000", languages=content.languages
    )
    assert engine.key_for_words(content.flow.nodes["about"], "nyrs", "cy-GB") == "0"
    assert engine.key_for_words(content.flow.nodes["about"], "nyrs") is None
    decoded = engine.read_state("n=about&l=cy-GB")
    assert decoded == Decoded(CallState("about", language="cy-GB"), stale=False)
    step = engine.respond(decoded, keys="1")
    assert step.state.language == "cy-GB" and "l=cy-GB" in step.state.url("/voice/step")
    paths = WebhookPaths(
        *("/step", "/dial", "/whisper", "/whisper/accept", "/fallback?dialled=1"),
        *("/nurse", "/queue/wait", "/queue/key", "/queue/left", "/saved", "/recording"),
    )
    voice = Voice(
        content.languages, settings.say_voice, settings.dial_timeout, settings.paces, paths
    )
    root = ET.fromstring(render(step, voice))
    gather = root.find("Gather")
    assert gather is not None and gather.attrib["language"] == "cy-GB"
    assert {say.attrib["language"] for say in gather.iter("Say")} == {"cy-GB"}


def test_several_languages_need_the_flow_to_name_the_first(tmp_path: Path) -> None:
    """With two folders and no `language:` in the flow, the editor is asked to add one."""
    _, problems = collect(second_language(tmp_path, flow_language=None), today=TODAY)
    assert_problems(
        problems.errors(),
        [Like("flows", 0, "holds 2 languages (cy-GB, en-GB)", "add `language: cy-GB`")],
    )


def test_the_flow_may_not_name_a_language_there_is_no_folder_for(tmp_path: Path) -> None:
    """A `language:` with no folder is named at its line."""
    root = second_language(tmp_path, flow_language="fr-FR")
    text = (root / "flows" / "helpline.yaml").read_text(encoding="utf-8")
    _, problems = collect(root, today=TODAY)
    assert_problems(
        problems.errors(),
        [
            Like(
                "flows/helpline.yaml",
                line_of(text, "language: fr-FR"),
                "calls start in fr-FR, which has no folder under prompts/",
                "name one of cy-GB, en-GB",
            )
        ],
    )
