"""Whole calls through `ivr call`'s phone: signed webhooks, TwiML followed as Twilio does."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask

from ivr import create_app
from ivr.cli import main
from ivr.content.graph import shortest_paths
from ivr.content.load import Content
from ivr.content.model import ChoiceNode, PromptBook, QuestionNode, SummaryNode, TransferNode
from ivr.numbers import PRACTICE_CALLER as PRACTICE
from ivr.practice.phone import Phone, Transcript
from ivr.store import Store
from tests.conftest import CALLER, ENV, ROOT, TOKEN, at_weekday_noon


def keys_to(content: Content, node_id: str) -> list[str]:
    """The fewest keys from the start to a node (with silence to skip the question of
    whether the call helped, where a part on the way asks it)."""
    path = shortest_paths(content.flow)[node_id]
    keys = []
    for here, there in itertools.pairwise(path):
        node = content.flow.nodes[here]
        if here in content.flow.feedback and "." not in keys:
            keys.append(".")
        if isinstance(node, QuestionNode):
            keys.append("1" if node.yes == there else "2")
        else:
            assert isinstance(node, ChoiceNode)
            keys.append(next(o.key for o in node.options if o.to == there))
    return keys


def keyed_nodes(content: Content) -> list[str]:
    """Every node a caller reaches by keys (the transfer's own outcomes aside)."""
    return [
        node
        for node, path in shortest_paths(content.flow).items()
        if not any(isinstance(content.flow.nodes[n], TransferNode) for n in path)
    ]


# What a caller hears when the helpline recovers from an error of its own: never in a clean call.
RECOVERED = yaml.safe_load((ROOT / "prompts" / "en-GB" / "system.yaml").read_text())["error"]


def assert_clean(transcript: Transcript) -> None:
    """No HTTP error, no bad TwiML, never a call that falls off the end of a document, and no
    error inside the helpline that it had to recover from."""
    assert transcript.errors() == []
    assert all(r.status == 200 for r in transcript.requests)
    assert transcript.ended_by != "fell-off-end"
    assert RECOVERED not in transcript.heard()


def prompt_ids_heard(book: PromptBook, transcript: Transcript) -> set[str]:
    """The ids of the prompts a call played, found by their spoken text (a prompt filled in
    during the call, such as a place in the queue, by its words around the gaps)."""
    by_spoken: dict[str, set[str]] = {}
    filled: list[tuple[re.Pattern[str], str]] = []
    for prompt in book.prompts.values():
        by_spoken.setdefault(prompt.spoken, set()).add(prompt.id)
        if prompt.dynamic:
            parts = re.split(r"\{\w+\}", prompt.spoken)
            filled.append((re.compile("(.+)".join(map(re.escape, parts))), prompt.id))
    found = {i for text in transcript.heard() for i in by_spoken.get(text, set())}
    found |= {i for text in transcript.heard() for pattern, i in filled if pattern.fullmatch(text)}
    return found


def test_every_node_is_reached_by_keys_and_plays_its_prompts(
    phone: Phone, content: Content
) -> None:
    """Walking to each node by keys plays exactly that node's prompts, with no error."""
    for node_id in keyed_nodes(content):
        node = content.flow.nodes[node_id]
        # Where whether the call helped is asked, silence skips it and the choices follow.
        skip = ["."] if node_id in content.flow.feedback else []
        transcript = phone.call([*keys_to(content, node_id), *skip])
        assert_clean(transcript)
        last = transcript.of_kind("gather")[-1]
        assert f"n={node_id}" in (last.url or ""), node_id
        expected = {
            p
            for p in node.prompt_ids()
            if not isinstance(node, SummaryNode) and p in content.prompts
        }
        assert expected <= prompt_ids_heard(content.prompts, transcript), node_id


def test_every_prompt_of_the_guidance_can_be_heard(
    make_app: Callable[..., Flask], content: Content, tmp_path: Path
) -> None:
    """Between keyed walks, the walk-through and the nurse line's outcomes, every prompt plays."""
    heard: set[str] = set()

    def listen(
        app: Flask,
        script: list[str],
        dial_outcome: str = "answered",
        path: str = "/voice/incoming",
        caller: str = CALLER,
    ) -> None:
        # Prompts with {nurse_hours} read differently per app, so match each app's own.
        book = app.extensions["ivr"].content.prompts
        phone = Phone(app, auth_token=TOKEN, dial_outcome=dial_outcome, caller=caller)
        transcript = phone.call(script, path=path)
        assert_clean(transcript)
        heard.update(prompt_ids_heard(book, transcript))

    open_app, closed_app = make_app(), make_app(NURSE_LINE_HOURS="never")
    for node_id in keyed_nodes(content):
        listen(open_app, keys_to(content, node_id))
    walk = keys_to(
        content, next(n for n, v in content.flow.nodes.items() if isinstance(v, QuestionNode))
    )
    for answers in (["1"] * 5, ["2"] * 5):
        listen(open_app, [*walk, *answers, "."])  # silence skips whether the call helped
    listen(open_app, ["9", "9"])
    # Where the line offers Welsh too: into Welsh and back ("... in English"), and a call on
    # the Welsh number hears the way into English before the Welsh welcome.
    both = make_app(LANGUAGES="en-GB,cy-GB", LANGUAGES_UNREVIEWED="cy-GB")
    listen(both, ["7", "7"])
    listen(both, [], path="/voice/incoming?l=cy-GB")
    listen(open_app, [], path="/voice/entry/99")
    # A part entered by its code: the greeting is filled in during the call, so match its start.
    entered = Phone(open_app, auth_token=TOKEN).call([], path="/voice/entry/34").heard()[0]
    if entered.startswith(content.prompts["system.entry"].spoken.split("{part}")[0]):
        heard.add("system.entry")
    listen(open_app, ["0"], "answered")
    listen(open_app, ["0", "."], "busy")
    # Silence twice: a nurse is offered; a third silence takes the offer.
    listen(open_app, [".", ".", "."], "answered")
    # PASS put through on 3 while it is open (a weekday at noon), and nobody answers there.
    listen(open_app, ["4", "2", "3", "."], "busy")
    # On a Saturday PASS and a weekday nurse line are closed: each says when it opens.
    saturday = make_app(
        clock=lambda: dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC),
        NURSE_LINE_HOURS="Mon-Fri 09:00-17:00",
    )
    listen(saturday, ["4", "2", "."])
    listen(saturday, ["0"])
    listen(closed_app, ["0"])
    listen(closed_app, ["."] * 6)
    # Call backs: on the caller's own number (twice: the second is already booked), on a
    # keyed number (corrected once, then one that is not a UK number), withheld, and failed.
    listen(closed_app, ["0", "1", "1"])
    listen(closed_app, ["0", "1", "1"])
    listen(closed_app, ["0", "1", "2", "02079460958#", "*", "123#", "01614960585#", "1"])
    heard.update(
        prompt_ids_heard(
            closed_app.extensions["ivr"].content.prompts,
            Phone(closed_app, auth_token=TOKEN, caller="anonymous").call(["0", "1"]),
        )
    )
    broken = make_app(NURSE_LINE_HOURS="never", DATABASE_URL="postgresql://x@127.0.0.1:1/x")
    listen(broken, ["0", "1", "1"])
    # Messages for the nurses: one left, then none (silence at the tone).
    listen(closed_app, ["0", "2", "I would like a nurse to call me"])
    listen(closed_app, ["0", "2", ".", "1", "#"])
    # The nurse line as a team, on a database of its own: a nurse on a call, so the caller
    # queues, hears their place, presses a key that is no choice, waits past the limit, then
    # leaves for the guidance; in turn, a nurse who does not answer, then the next.
    store = Store(f"sqlite:///{tmp_path / 'team.sqlite3'}", ENV["SECRET_KEY"])
    store.upgrade()
    for number in ("+442079460201", "+442079460202"):
        store.add_nurse("A nurse", number, "always")
    team = create_app({**ENV, "NURSE_RING": "turn"}, clock=at_weekday_noon, store=store)
    listen(team, ["0"], "no-answer")
    store.claim_nurses("CA" + "f" * 32, ["n:1", "n:2"])
    listen(team, ["0", "2"])  # next in the queue
    store.join_queue("CA" + "e" * 32, "n=nurse", "Main menu", [], practice=False)
    listen(team, ["0", "7", ".11m", "2"])  # second
    third = Phone(team, auth_token=TOKEN, caller=CALLER, queue_place=3).call(["0", "2"])
    heard.update(prompt_ids_heard(team.extensions["ivr"].content.prompts, third))
    store.close()
    # A nurse free for the caller at the front of the queue: tests/test_nurse_team.py.
    heard.add("queue.connecting")
    # Whether the call helped, and texts offered (the practice phone plays as a mobile): the
    # offer on keys 2, 3 and 4 here, on 1 after a call back (tests/test_texts.py), and a text
    # that could not be sent (tests/test_texts.py, against a stand-in of Twilio).
    texting = ["4", "4", "1", "3", "8", "4", "2", "4", "8", "4", "1", "2"]
    listen(make_app(), texting, caller=PRACTICE)
    heard.update(("texting.offer_1", "texting.failed"))
    # Whisper prompts go to the nurse, not the caller (tests/test_transfers.py hears them).
    heard.update(p for p in content.prompts.prompts if p.startswith("whisper."))
    engine_only = {
        "system.stale",
        "system.error",
        "system.fallback",
        "system.fallback_closed",
        "system.not_understood",
        "system.offer_person",
        "system.at_start",
        "system.not_an_option",
        "system.no_input",
    }
    # When a line opens is said in one of several sentences, chosen by the clock.
    openings = {p for p in content.prompts.prompts if p.startswith("opens.")}
    assert set(content.prompts.prompts) - engine_only - openings - heard == set()
    assert {"opens.scotland.monday_0900", "opens.nurse_line.monday_0900"} <= heard


GUIDANCE_FACTS = [
    "multidisciplinary",
    "999",
    "24-hour",
    "NHS does not have to",
    "right to ask",
    "scan",
    "travel",
    "delay",
    "formally",
    "go over",
    "record",
    "write",
    "registrar",
    "specialist nurse",
    "clinical trial",
    "upsetting",
    "choose|decide",
    "cost|expens",
    "letters",
    "PALS",
    "PASS",
    "0800 917 2127",
    "Llais",
    "Patient and Client Council",
    "0800 917 0222",
    "Citizens Advice",
    "switchboard",
    "Macmillan",
    "1 July 2023",
    "Patient Information Forum",
]


@pytest.mark.parametrize("fact", GUIDANCE_FACTS)
def test_guidance_fact_is_in_a_prompt_the_flow_plays(content: Content, fact: str) -> None:
    """Each key fact of the leaflet stands in the written form of some played prompt."""
    played = {p for node in content.flow.nodes.values() for p in node.prompt_ids()}
    played = {p for p in played | set(content.flow.welcome) if p in content.prompts}
    texts = [content.prompts[p].text for p in played]
    assert any(re.search(fact, t, re.IGNORECASE) for t in texts), fact


def test_zero_reaches_the_nurse_line_from_every_node(phone: Phone, content: Content) -> None:
    """0 pressed in any node rings the nurse line."""
    for node_id in keyed_nodes(content):
        transcript = phone.call([*keys_to(content, node_id), "0"])
        assert_clean(transcript)
        dials = transcript.of_kind("dial")
        assert len(dials) == 1, node_id
        assert "+441632960000" in (dials[0].text or ""), node_id


@pytest.mark.parametrize("hours", ["always", "never"])
def test_silence_and_wrong_keys_never_end_a_call(
    make_app: Callable[..., Flask], content: Content, hours: str
) -> None:
    """In every node, silences and wrong keys keep the call going (until the caller hangs up)."""
    phone = Phone(make_app(NURSE_LINE_HOURS=hours), auth_token=TOKEN, dial_outcome="no-answer")
    for node_id in keyed_nodes(content):
        transcript = phone.call([*keys_to(content, node_id), ".", "7", "8", ".", "5", "7"])
        assert_clean(transcript)
        assert transcript.ended_by == "caller-hung-up", node_id
        assert not transcript.of_kind("hangup"), node_id


def test_only_a_long_silence_ends_the_call_with_a_goodbye(
    make_app: Callable[..., Flask], content: Content
) -> None:
    """With the line closed, only the fifth silence in a row ends the call, saying when to call."""
    app = make_app(NURSE_LINE_HOURS="never")
    transcript = Phone(app, auth_token=TOKEN).call(["."] * 10)
    assert_clean(transcript)
    assert transcript.ended_by == "hangup"
    assert len(transcript.of_kind("silence")) == 5
    book = app.extensions["ivr"].content.prompts
    said = [book[p].spoken for p in ("system.goodbye", "safety.message", "system.call_again")]
    assert transcript.heard()[-3:] == said
    assert content.prompts["system.call_again"].spoken != said[-1]  # the hours are said as set


def test_back_and_repeat_from_the_keypad(phone: Phone, content: Content) -> None:
    """* goes back one step and # repeats, from any menu."""
    transcript = phone.call(["1", "1", "*", "#", "*"])
    assert_clean(transcript)
    nodes = [g.url.split("n=")[1].split("&")[0] for g in transcript.of_kind("gather") if g.url]
    first, second = content.flow.start, content.flow.nodes[content.flow.start]
    assert isinstance(second, ChoiceNode)
    about = second.options[0].to
    about_node = content.flow.nodes[about]
    assert isinstance(about_node, ChoiceNode)
    assert nodes == [first, about, about_node.options[0].to, about, about, first]


def test_speech_works_beside_the_keypad(phone: Phone) -> None:
    """Words choose options and reach a person, as keys do."""
    transcript = phone.call(["reasons", "benefits", "talk to a nurse"])
    assert_clean(transcript)
    assert [s.text for s in transcript.of_kind("speech")] == [
        "reasons",
        "benefits",
        "talk to a nurse",
    ]
    assert len(transcript.of_kind("dial")) == 1


def test_the_reasons_walk_through(phone: Phone, content: Content) -> None:
    """Five questions one at a time; the summary names the yes answers; then next steps."""
    first_question = next(n for n, v in content.flow.nodes.items() if isinstance(v, QuestionNode))
    walk = [*keys_to(content, first_question), "1", "2", "2", "1", "2"]
    transcript = phone.call([*walk, "1"])  # and yes, the call helped
    assert_clean(transcript)
    summary = next(v for v in content.flow.nodes.values() if isinstance(v, SummaryNode))
    said = dict(summary.answers)
    heard = transcript.heard()
    yes = [content.prompts[said[a]].spoken for a in ("unsure_diagnosis", "unhappy_treatment")]
    no = [
        content.prompts[said[a]].spoken for a in ("not_understood", "best_option", "hard_to_talk")
    ]
    assert all(text in heard for text in yes)
    assert not any(text in heard for text in no)
    assert heard.index(yes[0]) < heard.index(yes[1])
    then = [content.prompts[p].spoken for p in ("feedback.thanks", *summary.then)]
    assert heard[-len(then) :] == then


@pytest.mark.parametrize(
    "query",
    [
        "n=renamed_node",
        "n=main&s=99",
        "n=about&b=gone.main",
        "n=main&y=unknown_reason",
        "n=main&w=x",
    ],
)
def test_a_link_from_an_older_flow_lands_somewhere_sensible(
    phone: Phone, content: Content, query: str
) -> None:
    """A stale or out-of-range URL apologises and plays a menu, never an error."""
    transcript = phone.call(["1"], path=f"/voice/step?{query}")
    assert_clean(transcript)
    assert transcript.heard()[0] == content.prompts["system.stale"].spoken


@pytest.mark.parametrize("outcome", ["busy", "no-answer", "failed"])
def test_when_nobody_answers_the_caller_hears_choices(
    make_app: Callable[..., Flask], content: Content, outcome: str
) -> None:
    """After busy, no answer or a failure, the caller is told and gets choices, not silence."""
    operator = content.flow.nodes[content.flow.operator]
    assert isinstance(operator, TransferNode)
    phone = Phone(make_app(), auth_token=TOKEN, dial_outcome=outcome)
    transcript = phone.call(["0", "."])
    assert_clean(transcript)
    unavailable = content.flow.nodes[operator.unavailable]
    assert content.prompts[unavailable.say[0]].spoken in transcript.heard()


def test_the_callers_number_never_appears_in_urls_or_twiml(phone: Phone) -> None:
    """The caller's number is sent by Twilio but never echoed into our URLs or TwiML."""
    transcript = phone.call(["1", "1", ".", "7", "0"])
    digits = CALLER.lstrip("+")
    for request in transcript.requests:
        assert digits not in request.url
        assert digits not in request.body


def test_ivr_call_prints_a_scripted_transcript() -> None:
    """`ivr call --keys` runs a whole call in-process and prints what the caller hears."""
    # Whatever the time of day, the nurse line is open for this call.
    env = {"NURSE_LINE_HOURS": "always", "NURSE_LINE_HOLIDAYS": "none"}
    result = CliRunner().invoke(main, ["call", "--keys", "2 1 1 0"], env=env)
    assert result.exit_code == 0, result.output
    assert "Helpline: " in result.output
    assert "You press: 2" in result.output
    assert "Ringing +441632960000" in result.output


def test_the_slower_voice_waits_longer_for_a_key(phone: Phone) -> None:
    """After 9, menus wait 12 s for a key, not 8, and the terminal phone shows it; 9 again
    brings back the usual wait."""
    transcript = phone.call(["9", "9"])
    assert_clean(transcript)
    waits = [e.line() for e in transcript.of_kind("gather")]
    assert waits == [
        "  [menu waits 8 s for 1 key or words]",
        "  [menu waits 12 s for 1 key or words]",
        "  [menu waits 8 s for 1 key or words]",
    ]


def test_the_welcome_says_the_safety_message_with_999_in_words(
    phone: Phone, content: Content
) -> None:
    """Every call starts with the one safety message, said so that 999 is nine nine nine."""
    heard = phone.call([]).heard()
    safety = content.prompts["safety.message"].spoken
    assert safety in heard[:3]
    assert "nine nine nine" in safety and "999" not in safety


def test_no_prompt_a_caller_hears_promises_a_nurse_at_any_time(
    make_app: Callable[..., Flask],
) -> None:
    """With the nurse line open only by day, nothing heard on the way to a nurse says 'at any
    time'; what is said is to press 0 at any point in this call."""
    app = make_app(NURSE_LINE_HOURS="Mon-Fri 09:00-17:00")
    transcript = Phone(app, auth_token=TOKEN).call(["7", "7", "."])
    assert_clean(transcript)
    heard = " ".join(transcript.heard())
    assert "at any time" not in heard and "day or night" not in heard
    assert "press 0 at any point in this call" in heard


def test_eight_is_the_main_menu_from_every_part_of_a_call(phone: Phone, content: Content) -> None:
    """8 pressed in any part a caller reaches by keys goes back to the main menu."""
    main = [content.prompts[p].spoken for p in content.flow.nodes[content.flow.start].say]
    for node_id in keyed_nodes(content):
        transcript = phone.call([*keys_to(content, node_id), "8"])
        assert_clean(transcript)
        assert transcript.heard()[-len(main) :] == main, node_id
        assert "n=main" in (transcript.of_kind("gather")[-1].url or ""), node_id


def test_pass_closed_says_so_and_when_it_opens_and_offers_nothing_it_cannot_do(
    make_app: Callable[..., Flask],
) -> None:
    """On a Saturday the Scotland block says PASS is closed and opens on Monday at 9; 3 does
    not ring it, and the number is read again."""
    saturday = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
    app = make_app(clock=lambda: saturday)
    transcript = Phone(app, auth_token=TOKEN).call(["4", "2", "3"])
    assert_clean(transcript)
    heard = transcript.heard()
    assert "Pass is closed now." in heard
    assert "It opens on Monday at 9 in the morning." in heard
    assert not any("put through to pass" in h for h in heard)
    assert not transcript.of_kind("dial")
    assert "n=scotland_number" in (transcript.of_kind("gather")[-1].url or "")


def test_a_caller_hears_how_their_number_is_kept_before_giving_it(
    make_app: Callable[..., Flask], content: Content
) -> None:
    """Asking for a call back: how the number is kept comes before it is read back or asked."""
    app = make_app(NURSE_LINE_HOURS="never")
    kept = content.prompts["callback.kept"].spoken
    for caller, question in ((CALLER, "callback.own"), ("anonymous", "callback.enter")):
        heard = Phone(app, auth_token=TOKEN, caller=caller).call(["0", "1"]).heard()
        asked = content.prompts[question].spoken
        assert heard.index(kept) < heard.index(asked), caller
