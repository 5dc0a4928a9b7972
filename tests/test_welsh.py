"""Welsh: a whole call in it, on its own number or by 7 where both share one, with nothing
said to the caller in English after the choice; and the language kept for the staff."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask

from ivr import create_app
from ivr.cli import main
from ivr.content.load import Content
from ivr.content.model import ChoiceNode, QuestionNode
from ivr.practice.phone import Phone, Transcript, TranscriptEntry
from ivr.store import Store
from tests.conftest import CALLER, ENV, TOKEN, no_violations, served
from tests.test_calls import assert_clean, keyed_nodes, keys_to
from tests.test_staff_site import BASE, sign_in
from tests.test_store import database_url, postgres_database  # noqa: F401 (fixtures)

WELSH_NUMBER = "+442920180000"  # the number callers ring for Welsh (LANGUAGE_BY_NUMBER)
SHARED_NUMBER = "+442079460000"  # the number both languages share
BOTH = {
    "LANGUAGES": "en-GB,cy-GB",
    "LANGUAGES_UNREVIEWED": "cy-GB",
    "LANGUAGE_BY_NUMBER": f"{WELSH_NUMBER}=cy-GB",
}


@pytest.fixture
def both(make_app: Callable[..., Flask]) -> Flask:
    """The helpline offering English and Welsh, Welsh on a number of its own."""
    return make_app(**BOTH)


def spoken(transcript: Transcript) -> list[TranscriptEntry]:
    """What the caller heard, in order (the whisper is the nurse's, not the caller's)."""
    return [e for e in transcript.events if e.kind in ("say", "play")]


def languages_of(entries: list[TranscriptEntry]) -> set[tuple[str, str]]:
    return {(e.attrs.get("language", ""), e.attrs.get("voice", "")) for e in entries}


def said(app: Flask, code: str, prompt_id: str) -> str:
    return str(app.extensions["ivr"].content.languages.book(code)[prompt_id].spoken)


def welsh_call(app: Flask, script: list[str], **options: str) -> Transcript:
    transcript = Phone(app, auth_token=TOKEN, caller=CALLER, called=WELSH_NUMBER, **options).call(
        script
    )
    assert_clean(transcript)
    return transcript


def last_node(transcript: Transcript) -> str:
    """Where the caller was when they hung up: the node of the last Gather's action."""
    gathers = transcript.of_kind("gather")
    return parse_qs(urlsplit(gathers[-1].url).query)["n"][0]


def test_the_welsh_number_answers_in_welsh_after_a_short_way_into_english(both: Flask) -> None:
    """The first words are the way into English, in English; then all is Welsh, in Welsh's
    voice, and the recogniser listens for Welsh."""
    heard = spoken(welsh_call(both, []))
    assert heard[0].text == said(both, "en-GB", "welcome.language") == "For English, press 7."
    assert languages_of(heard[:1]) == {("en-GB", "Polly.Amy")}
    assert heard[1].text == said(both, "cy-GB", "welcome.hello")
    assert languages_of(heard[1:]) == {("cy-GB", "Polly.Gwyneth")}
    [gather] = welsh_call(both, []).of_kind("gather")
    assert gather.attrs["language"] == "cy-GB"


def test_a_shared_number_offers_welsh_first_and_7_changes_the_call(both: Flask) -> None:
    """Where both languages share a number, the way into Welsh is said in Welsh before the
    English welcome; 7 goes on in Welsh from where the caller was, and 7 again back."""
    transcript = Phone(both, auth_token=TOKEN, caller=CALLER, called=SHARED_NUMBER).call(
        ["7", "1", "7"]
    )
    assert_clean(transcript)
    heard = spoken(transcript)
    offer = said(both, "cy-GB", "welcome.language")
    assert heard[0].text == offer == "Am wasanaeth yn Gymraeg, pwyswch 7."
    texts = [e.text for e in heard]
    into_welsh = texts.index(said(both, "cy-GB", "system.language"))
    back = texts.index(said(both, "en-GB", "system.language"))
    assert languages_of(heard[1:into_welsh]) == {("en-GB", "Polly.Amy")}
    assert languages_of(heard[into_welsh:back]) == {("cy-GB", "Polly.Gwyneth")}
    assert languages_of(heard[back:]) == {("en-GB", "Polly.Amy")}
    # 1 in Welsh chose from the Welsh main menu: the same part, in the same flow.
    assert said(both, "cy-GB", "about.choices") in texts[into_welsh:back]


def test_the_way_in_is_under_5_seconds_and_0_reaches_a_nurse_from_the_first_word(
    both: Flask,
) -> None:
    """Callers who want the first language wait through the way into the other: it is short,
    and inside the first Gather, so 0 works while it plays."""
    transcript = welsh_call(both, ["0"])
    first_gather = next(
        e for e in transcript.events if e.kind == "gather" or e.kind in ("say", "play")
    )
    assert first_gather.kind in ("say", "play")  # played inside the Gather that takes 0
    assert transcript.of_kind("dial"), transcript.text()
    for code in ("en-GB", "cy-GB"):
        words = len(said(both, code, "welcome.language").split())
        assert words * 60 / 140 < 5, (code, words)


def test_every_part_in_welsh_by_keys(both: Flask, content: Content) -> None:
    """Every part a caller reaches by keys, rung on the Welsh number: Welsh only after the
    way into English."""
    for node_id in keyed_nodes(content):
        heard = spoken(welsh_call(both, keys_to(content, node_id)))
        assert languages_of(heard[1:]) == {("cy-GB", "Polly.Gwyneth")}, node_id


def test_every_part_in_welsh_after_7_on_the_shared_number(both: Flask, content: Content) -> None:
    """Every part a caller reaches by keys after choosing Welsh with 7 on the shared number:
    nothing in English after the choice."""
    for node_id in keyed_nodes(content):
        transcript = Phone(both, auth_token=TOKEN, caller=CALLER, called=SHARED_NUMBER).call(
            ["7", *keys_to(content, node_id)]
        )
        assert_clean(transcript)
        heard = spoken(transcript)
        chosen = [e.text for e in heard].index(said(both, "cy-GB", "system.language"))
        assert languages_of(heard[chosen:]) == {("cy-GB", "Polly.Gwyneth")}, node_id
        assert last_node(transcript) == node_id


def test_every_part_in_welsh_by_words(both: Flask, content: Content) -> None:
    """Every part reached by saying its Welsh words (language.yaml's `choices:`, `ie` and
    `na`) instead of pressing keys."""
    welsh = both.extensions["ivr"].content.languages["cy-GB"]
    for node_id in keyed_nodes(content):
        keys = keys_to(content, node_id)
        path = [content.flow.start]
        words = []
        for key in keys:
            node = content.flow.nodes[path[-1]]
            if key == ".":
                words.append(".")  # silence skips the question of whether the call helped
            elif isinstance(node, QuestionNode):
                words.append("ie" if key == "1" else "na")
                path.append(node.yes if key == "1" else node.no)
            else:
                assert isinstance(node, ChoiceNode)
                option = node.option(key)
                assert option is not None
                words.append(welsh.choices[node.id][key][0])
                path.append(option.to)
        transcript = welsh_call(both, [*words, "."])
        assert last_node(transcript) == node_id, (node_id, words)
        assert languages_of(spoken(transcript)[1:]) == {("cy-GB", "Polly.Gwyneth")}, node_id


def test_the_walk_through_and_the_nurse_line_in_welsh(both: Flask, content: Content) -> None:
    """The walk-through's answers and the nurse line: Welsh to the caller, and the nurse's
    whisper, in the staff's language, says that the caller chose Welsh."""
    walk = keys_to(
        content, next(n for n, v in content.flow.nodes.items() if isinstance(v, QuestionNode))
    )
    for answers in (["1"] * 5, ["2"] * 5):
        heard = spoken(welsh_call(both, [*walk, *answers]))
        assert languages_of(heard[1:]) == {("cy-GB", "Polly.Gwyneth")}
    transcript = welsh_call(both, ["0"])
    assert languages_of(spoken(transcript)[1:]) == {("cy-GB", "Polly.Gwyneth")}
    whisper = " ".join(e.text for e in transcript.of_kind("whisper"))
    assert "The caller chose to speak Welsh." in whisper
    assert said(both, "en-GB", "whisper.intro") in whisper


@pytest.fixture
def kept(make_app: Callable[..., Flask], database_url: str) -> Iterator[Flask]:  # noqa: F811
    """Both languages, the nurse line closed, on an empty database of each kind."""
    app = make_app(**BOTH, NURSE_LINE_HOURS="never", DATABASE_URL=database_url)
    app.extensions["ivr"].store.upgrade()
    yield app
    app.extensions["ivr"].store.close()


def test_the_language_is_kept_with_the_call_back_and_the_calls(kept: Flask) -> None:
    """A call back booked in Welsh says so to staff; the dashboard counts calls by the language
    they were last heard in (7 changes it)."""
    store: Store = kept.extensions["ivr"].store
    welsh_call(kept, ["0", "1", "1"])
    Phone(kept, auth_token=TOKEN, caller="+442079460999", called=SHARED_NUMBER).call(["7", "."])
    Phone(kept, auth_token=TOKEN, caller="+442079460998", called=SHARED_NUMBER).call(["."])
    [request] = store.open_callbacks()
    assert request.language == "cy-GB"
    store.flush()
    figures = store.figures(store.clock())
    assert dict(figures.calls_by_language) == {"cy-GB": 2, "en-GB": 1}
    store.add_staff("sam", "a long enough password")
    client = kept.test_client()
    assert sign_in(client) == 302
    queue = client.get("/staff/", base_url=BASE).get_data(as_text=True)
    assert "<td>Welsh</td>" in queue
    dashboard = client.get("/staff/dashboard", base_url=BASE).get_data(as_text=True)
    assert "Calls by language" in dashboard and "Welsh" in dashboard


def test_when_the_helpline_fails_a_welsh_caller_hears_welsh(both: Flask) -> None:
    """The Fallback URL (Twilio's, when our answer failed) speaks the Welsh number's language,
    and a failed step the call's own."""
    fallen = Phone(both, auth_token=TOKEN, caller=CALLER, called=WELSH_NUMBER).call(
        [], path="/voice/fallback"
    )
    assert fallen.errors() == []
    heard = spoken(fallen)
    assert heard[0].text == said(both, "cy-GB", "system.fallback")
    assert languages_of(heard) == {("cy-GB", "Polly.Gwyneth")}
    english = Phone(both, auth_token=TOKEN, caller=CALLER, called=SHARED_NUMBER).call(
        [], path="/voice/fallback"
    )
    assert languages_of(spoken(english)) == {("en-GB", "Polly.Amy")}


def test_the_phone_page_calls_in_welsh_and_captions_it(browser: Any) -> None:
    """In Chromium: the phone page offers the line's languages by name; a call with Cymraeg
    chosen is captioned in Welsh after the short way into English, and its share link keeps
    the language."""
    both = create_app({**ENV, **BOTH}, development=True)  # the page as `ivr serve` has it
    with served(both) as base:
        page = browser.new_page(bypass_csp=True)
        page.goto(f"{base}/phone")
        no_violations(page, "phone-languages")
        names = page.locator("#language option").all_text_contents()
        assert names == ["English", "Cymraeg (Welsh)"]
        page.select_option("#language", label="Cymraeg (Welsh)")
        page.click("#call")
        hello = said(both, "cy-GB", "welcome.hello")
        page.wait_for_function(
            """(text) => [...document.querySelectorAll('#transcript li.heard')]
                 .some((li) => li.textContent.includes(text))""",
            arg=hello,
            timeout=30_000,
        )
        heard = [
            " ".join(t.split()) for t in page.locator("#transcript li.heard").all_text_contents()
        ]
        assert "For English, press 7." in heard[0]
        assert hello in heard[1]
        assert "language=cy-GB" in (page.get_attribute("#share", "href") or "")
        page.close()


def test_ivr_call_in_welsh(both: Flask) -> None:
    """`ivr call --language cy-GB` is a call as if the Welsh number were rung: the way into
    English, then Welsh; a language the line does not offer starts in the first."""
    env = {**BOTH, "NURSE_LINE_HOURS": "always", "NURSE_LINE_HOLIDAYS": "none"}
    result = CliRunner().invoke(main, ["call", "--language", "cy-GB", "--keys", "4"], env=env)
    assert result.exit_code == 0, result.output
    # A prompt played from its recording is marked so; what matters here is its words.
    heard = [
        line.removesuffix("  (recorded)")
        for line in result.output.splitlines()
        if line.startswith("Helpline: ")
    ]
    assert heard[0] == "Helpline: For English, press 7."
    assert heard[1] == f"Helpline: {said(both, 'cy-GB', 'welcome.hello')}"
    assert f"Helpline: {said(both, 'cy-GB', 'referral.choices')}" in heard
    english = CliRunner().invoke(main, ["call", "--language", "fr-FR", "--keys", "."], env=env)
    assert f"Helpline: {said(both, 'en-GB', 'welcome.hello')}" in english.output.replace(
        "  (recorded)", ""
    )
