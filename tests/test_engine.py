"""The engine on the real flow, without Flask: what each input leads to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from ivr.call.engine import GOODBYE_AFTER_SILENCES, Engine
from ivr.call.state import CallState, Decoded
from ivr.call.steps import Ask, Caller, Goodbye, Transfer
from ivr.content.hours import parse_hours
from ivr.content.load import Content
from ivr.content.model import ChoiceNode, InfoNode, QuestionNode, SummaryNode, TransferNode

MakeEngine = Callable[..., Engine]


def fresh(node: str, **kwargs: object) -> Decoded:
    return Decoded(CallState(node, **kwargs), stale=False)  # type: ignore[arg-type]


def first_option(content: Content, node_id: str) -> tuple[str, str]:
    node = content.flow.nodes[node_id]
    assert isinstance(node, ChoiceNode)
    return node.options[0].key, node.options[0].to


def test_start_plays_welcome_inside_the_first_menu(
    make_engine: MakeEngine, content: Content
) -> None:
    """A new call hears the welcome and then the main menu, in one Ask at the start node."""
    step = make_engine().start()
    start = content.flow.nodes[content.flow.start]
    assert step == Ask(
        (*content.flow.welcome, *start.say), CallState(content.flow.start), step.hints
    )
    assert "nurse" in step.hints


def test_an_option_moves_on_and_remembers_where_the_caller_was(
    make_engine: MakeEngine, content: Content
) -> None:
    """Pressing an option's key goes to its node with the menu kept for going back."""
    key, target = first_option(content, "main")
    step = make_engine().respond(fresh("main"), keys=key)
    assert isinstance(step, Ask)
    assert step.state == CallState(target, history=("main",))
    assert step.prompts == content.flow.nodes[target].say


@pytest.mark.parametrize("hours", ["always", "never"])
def test_zero_reaches_the_nurse_line_from_every_node(
    make_engine: MakeEngine, content: Content, hours: str
) -> None:
    """0 anywhere rings the nurse line when open, or says it is closed with choices."""
    engine = make_engine(hours)
    operator = content.flow.nodes[content.flow.operator]
    assert isinstance(operator, TransferNode)
    for node_id in content.flow.nodes:
        step = engine.respond(fresh(node_id), keys="0")
        if hours == "always":
            assert isinstance(step, Transfer), node_id
            assert step.number == "+441632960000"
            assert step.prompts == operator.say
        else:
            assert isinstance(step, Ask), node_id
            assert step.state.node == operator.closed
            # Closed, and never open: nothing to say about when it opens.
            said = (*operator.closed_say, *content.flow.nodes[operator.closed].prompt_ids())
            assert step.prompts == tuple(p for p in said if not p.startswith("opens."))


def test_star_goes_back_where_the_caller_came_from(make_engine: MakeEngine) -> None:
    """* returns to the last node in the history and drops it from the history."""
    step = make_engine().respond(fresh("what_is", history=("main", "about")), keys="*")
    assert isinstance(step, Ask)
    assert step.state == CallState("about", history=("main",))


def test_star_with_no_history_goes_to_the_part_above(make_engine: MakeEngine) -> None:
    """Without a history (e.g. after a transfer in), * goes up the map, not to an error."""
    step = make_engine().respond(fresh("what_is"), keys="*")
    assert isinstance(step, Ask)
    assert step.state.node == "about"


def test_star_at_the_main_menu_says_so(make_engine: MakeEngine, content: Content) -> None:
    """* at the start says the caller is at the main menu, then plays it."""
    step = make_engine().respond(fresh("main"), keys="*")
    assert isinstance(step, Ask)
    assert step.prompts == ("system.at_start", *content.flow.nodes["main"].say)


def test_hash_repeats_the_node_and_clears_counts(make_engine: MakeEngine, content: Content) -> None:
    """# plays the same node again, without an apology, with counts reset."""
    step = make_engine().respond(fresh("about", history=("main",), silences=1, wrong=1), keys="#")
    assert step == Ask(
        content.flow.nodes["about"].say,
        CallState("about", history=("main",)),
        step.hints if isinstance(step, Ask) else (),
    )


def test_wrong_keys_apologise_then_offer_a_person_then_put_through(
    make_engine: MakeEngine, content: Content
) -> None:
    """A key that is no choice: sorry; the second time, how to reach a person; then a person."""
    engine = make_engine()
    say = content.flow.nodes["about"].say
    first = engine.respond(fresh("about"), keys="7")
    assert isinstance(first, Ask)
    assert first.prompts == ("system.not_an_option", *say)
    assert first.state.wrong == 1
    second = engine.respond(Decoded(first.state, False), keys="7")
    assert isinstance(second, Ask)
    assert second.prompts == ("system.not_an_option", "system.offer_person", *say)
    third = engine.respond(Decoded(second.state, False), keys="7")
    assert isinstance(third, Ask)
    assert third.prompts == ("system.not_an_option", "system.put_through")
    assert (third.state.node, third.state.phase) == ("about", "offer")
    # The offer taken by staying on the line: the caller is put through.
    fourth = engine.respond(Decoded(third.state, False))
    assert isinstance(fourth, Transfer)
    assert fourth.state.node == content.flow.operator


def test_silence_hints_then_puts_through_then_only_much_later_says_goodbye(
    make_engine: MakeEngine, content: Content
) -> None:
    """Silence: a hint; the second, a person; with the line closed, goodbye only at the end."""
    engine = make_engine("never")
    steps = []
    decoded = fresh("about")
    for _ in range(GOODBYE_AFTER_SILENCES):
        step = engine.respond(decoded)
        steps.append(step)
        decoded = Decoded(step.state, False)
    assert isinstance(steps[0], Ask)
    assert steps[0].prompts[0] == "system.no_input"
    assert isinstance(steps[1], Ask)
    operator = content.flow.nodes[content.flow.operator]
    assert isinstance(operator, TransferNode)
    # Closed: no offer of a nurse who cannot be rung, but why, and the choices there are.
    assert steps[1].state.node == operator.closed
    assert steps[1].prompts[:2] == ("system.no_input_again", "nurse.closed")
    assert "system.put_through" not in steps[1].prompts
    assert all(isinstance(s, Ask) for s in steps[:-1])
    # The end says why, the safety message, and when to call again.
    assert steps[-1] == Goodbye(
        ("system.goodbye", "safety.message", "system.call_again"), steps[-1].state
    )


def test_an_info_block_is_not_read_again_after_silence_only_its_choices(
    make_engine: MakeEngine, content: Content
) -> None:
    """After silence or a wrong key in an info block, only the choices play; # plays all."""
    info = content.flow.nodes["what_is"]
    assert isinstance(info, InfoNode)
    engine = make_engine()
    silent = engine.respond(fresh("what_is"))
    wrong = engine.respond(fresh("what_is"), keys="7")
    again = engine.respond(fresh("what_is"), keys="#")
    assert isinstance(silent, Ask) and isinstance(wrong, Ask) and isinstance(again, Ask)
    assert silent.prompts == ("system.no_input", *info.choices)
    assert wrong.prompts == ("system.not_an_option", *info.choices)
    assert again.prompts == (*info.say, *info.choices)


def test_second_silence_offers_a_nurse_and_a_third_puts_the_caller_through(
    make_engine: MakeEngine, content: Content
) -> None:
    """With the line open, the second silence offers a nurse; staying silent takes the offer."""
    engine = make_engine()
    offer = engine.respond(fresh("about", silences=1))
    assert isinstance(offer, Ask)
    assert offer.prompts == ("system.no_input_again", "system.put_through")
    assert (offer.state.node, offer.state.phase, offer.state.silences) == ("about", "offer", 2)
    taken = engine.respond(Decoded(offer.state, False))
    assert isinstance(taken, Transfer)
    assert taken.prompts == content.flow.nodes[content.flow.operator].say
    assert taken.state.silences == 2  # a long silence still ends in the end


@pytest.mark.parametrize(("key", "node"), [("#", "about"), ("1", "what_is"), ("8", "main")])
def test_a_key_after_the_offer_of_a_nurse_keeps_the_caller_where_they_chose(
    make_engine: MakeEngine, content: Content, key: str, node: str
) -> None:
    """Offered a nurse, # stays in the menu and any choice is acted on: nobody is rung."""
    engine = make_engine()
    offer = engine.respond(fresh("about", silences=1))
    step = engine.respond(Decoded(offer.state, False), keys=key)
    assert isinstance(step, Ask)
    assert (step.state.node, step.state.phase, step.state.silences) == (node, "", 0)


@pytest.mark.parametrize(
    ("node", "speech", "key"),
    [
        ("main", "I want to talk to a NURSE please", "0"),
        ("main", "can you repeat that", "#"),
        ("about", "go back", "*"),
        ("main", "press two", "2"),
        ("q_unsure", "yes it is", "1"),
        ("q_unsure", "no", "2"),
    ],
)
def test_speech_is_matched_to_keys(
    make_engine: MakeEngine, node: str, speech: str, key: str
) -> None:
    """Words for a person, repeat, back, numbers and yes/no choose the same as the keys."""
    engine = make_engine()
    assert engine.key_for_words(engine.flow.nodes[node], speech) == key


def test_each_option_can_be_chosen_by_its_words(make_engine: MakeEngine, content: Content) -> None:
    """Every option's own words choose that option in its node."""
    engine = make_engine()
    for node in content.flow.nodes.values():
        if isinstance(node, ChoiceNode):
            for option in node.options:
                for phrase in option.words:
                    assert engine.key_for_words(node, phrase) == option.key, (node.id, phrase)


def test_words_that_match_nothing_are_not_understood(make_engine: MakeEngine) -> None:
    """Unmatched speech apologises and replays, counting as a wrong answer."""
    step = make_engine().respond(fresh("main"), speech="banana sandwiches")
    assert isinstance(step, Ask)
    assert step.prompts[0] == "system.not_understood"
    assert step.state.wrong == 1


def _walk(engine: Engine, content: Content, answers: list[str]) -> Ask:
    _key, node = first_option(content, "reasons")
    decoded = fresh(node)
    step = None
    for answer in answers:
        step = engine.respond(decoded, keys=answer)
        decoded = Decoded(step.state, False)
    assert isinstance(step, Ask)
    return step


def test_walk_through_summarises_the_reasons_said_yes_to(
    make_engine: MakeEngine, content: Content
) -> None:
    """Five answers lead to a summary naming the yes answers, in order, then what to do next."""
    engine = make_engine()
    questions = [n for n in content.flow.nodes.values() if isinstance(n, QuestionNode)]
    assert len(questions) == 5
    summary = next(n for n in content.flow.nodes.values() if isinstance(n, SummaryNode))
    step = _walk(engine, content, ["1", "2", "1", "2", "2"])
    assert step.state.node == summary.id
    said = dict(summary.answers)
    yes_ids = [q.records for q, a in zip(questions, "12122", strict=True) if a == "1"]
    assert step.state.yes == frozenset(yes_ids)
    # The end of the walk-through: whether the call helped is asked before what to do next.
    assert step.prompts == (
        *summary.say,
        *(said[a] for a in yes_ids),
        *summary.after,
        "feedback.ask",
    )
    skipped = engine.respond(Decoded(step.state, False))
    assert isinstance(skipped, Ask)
    assert skipped.prompts == summary.then
    # Each yes is said with its advice (the reason, then what may help), and the delay after.
    assert summary.after == ("walk.delay",)


def test_walk_through_with_no_yes_says_so(make_engine: MakeEngine, content: Content) -> None:
    """Answering no to every question plays the summary's 'none' prompt."""
    summary = next(n for n in content.flow.nodes.values() if isinstance(n, SummaryNode))
    step = _walk(make_engine(), content, ["2"] * 5)
    assert step.prompts == (*summary.say, summary.none, *summary.after, "feedback.ask")


def test_going_back_in_the_walk_through_lets_the_caller_change_an_answer(
    make_engine: MakeEngine, content: Content
) -> None:
    """* returns to the last question; answering no there removes the earlier yes."""
    engine = make_engine()
    step = _walk(engine, content, ["1"])
    back = engine.respond(Decoded(step.state, False), keys="*")
    assert isinstance(back, Ask)
    assert back.state.yes == frozenset({"unsure_diagnosis"})
    changed = engine.respond(Decoded(back.state, False), keys="2")
    assert changed.state.yes == frozenset()


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_a_call_nobody_answers_leads_to_choices(
    make_engine: MakeEngine, content: Content, status: str
) -> None:
    """When the nurse line does not answer, the caller hears so and gets choices."""
    operator = content.flow.nodes[content.flow.operator]
    assert isinstance(operator, TransferNode)
    step = make_engine().dial_ended(fresh(operator.id, history=("main",)), status)
    assert isinstance(step, Ask)
    assert step.state.node == operator.unavailable
    assert step.prompts == content.flow.nodes[operator.unavailable].prompt_ids()


def test_an_answered_call_ends_with_thanks(make_engine: MakeEngine, content: Content) -> None:
    """After talking to a person, the caller is thanked and the call ends."""
    step = make_engine().dial_ended(fresh(content.flow.operator), "completed")
    assert isinstance(step, Goodbye)
    assert step.prompts == ("system.after_call",)


def test_no_nurse_number_means_closed(make_engine: MakeEngine, content: Content) -> None:
    """Without a number to ring, 0 leads to the closed node rather than a broken Dial."""
    operator = content.flow.nodes[content.flow.operator]
    assert isinstance(operator, TransferNode)
    step = make_engine(number=None).respond(fresh("main"), keys="0")
    assert isinstance(step, Ask)
    assert step.state.node == operator.closed


def test_a_stale_link_apologises_and_ignores_its_input(
    make_engine: MakeEngine, content: Content
) -> None:
    """Input from an older flow is not acted on: an apology, then the node as it is now."""
    step = make_engine().respond(Decoded(CallState("main"), stale=True), keys="1")
    assert isinstance(step, Ask)
    assert step.state == CallState("main")
    assert step.prompts == ("system.stale", *content.flow.nodes["main"].say)


FRIDAY_NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def _at(content: Content, when: dt.datetime, hours: str = "always") -> Engine:
    return Engine(
        content.flow,
        parse_hours(hours),
        "+441632960000",
        lambda: when,
        services=content.services,
        languages=content.languages,
    )


@pytest.mark.parametrize(
    ("when", "put_through"),
    [
        (FRIDAY_NOON, True),
        (dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC), False),  # a Saturday
    ],
)
def test_pass_is_put_through_only_when_open(
    content: Content, when: dt.datetime, put_through: bool
) -> None:
    """Scotland's PASS is dialled on 3 in its hours (data/services.yaml); else its number is
    read again, after it is said to be closed and when it opens."""
    step = _at(content, when).respond(fresh("scotland", history=("main", "referral")), keys="3")
    if put_through:
        assert isinstance(step, Transfer)
        assert (step.number, step.whisper) == ("+448009172127", False)
    else:
        assert isinstance(step, Ask)
        assert step.state.node == "scotland_number"
        # Said once, where the block would have offered it.
        assert step.prompts.count("referral.scotland_closed") == 1
        assert step.prompts[-3:] == (
            "referral.scotland_closed",
            "opens.scotland.monday_0900",
            "main.return",
        )


@pytest.mark.parametrize(
    ("when", "said"),
    [
        (FRIDAY_NOON, ("referral.scotland_offer",)),
        # Saturday, Sunday, early on Monday, Friday after five:
        (dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC), ("opens.scotland.monday_0900",)),
        (dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC), ("opens.scotland.tomorrow_0900",)),
        (dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC), ("opens.scotland.today_0900",)),
        (dt.datetime(2026, 11, 20, 17, 30, tzinfo=dt.UTC), ("opens.scotland.monday_0900",)),
        # The Saturday before St Andrew's Day, a bank holiday in Scotland on Monday the 30th:
        (dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC), ("opens.scotland.tuesday_0900",)),
        # Christmas Day, a Friday: after the weekend and Boxing Day's holiday on Monday the
        # 28th (Scotland's bank holidays close it), PASS opens on Tuesday.
        (dt.datetime(2026, 12, 25, 12, 0, tzinfo=dt.UTC), ("opens.scotland.tuesday_0900",)),
    ],
)
def test_the_put_through_is_offered_only_while_open_else_when_it_opens(
    content: Content, when: dt.datetime, said: tuple[str, ...]
) -> None:
    """The block offers 3 only while PASS is open; closed, it says so and when it opens."""
    engine = _at(content, when)
    arrived = engine.respond(fresh("referral", history=("main",)), keys="2")
    assert isinstance(arrived, Ask) and arrived.prompts[-1] == "feedback.ask"
    step = engine.respond(Decoded(arrived.state, False))  # silence skips the question
    assert isinstance(step, Ask)
    if said == ("referral.scotland_offer",):
        assert step.prompts[-3:] == ("referral.number_next", *said, "main.return")
    else:
        closed = ("referral.number_next", "referral.scotland_closed", *said, "main.return")
        assert step.prompts[-4:] == closed


def test_a_service_whose_check_has_lapsed_is_never_offered_nor_rung(content: Content) -> None:
    """Over a year after the number was checked, PASS is not offered, and 3 does not ring it."""
    later = FRIDAY_NOON.replace(year=2028)
    engine = _at(content, later)
    block = engine.respond(fresh("referral", history=("main",)), keys="2")
    assert isinstance(block, Ask)
    assert "referral.scotland_offer" not in block.prompts
    pressed = engine.respond(fresh("scotland", history=("main", "referral")), keys="3")
    assert isinstance(pressed, Ask)
    assert pressed.state.node == "scotland_number"
    # Nor is it said to be closed: by its hours it is open, only its number needs checking.
    assert "referral.scotland_closed" not in (*block.prompts, *pressed.prompts)


def test_a_service_without_known_hours_gives_its_number_and_is_never_rung(
    content: Content,
) -> None:
    """Northern Ireland's council has no known hours: its number is read, nothing offers to ring
    it, and no key in its block puts the caller through."""
    engine = _at(content, FRIDAY_NOON)
    block = engine.respond(fresh("referral", history=("main",)), keys="4")
    assert isinstance(block, Ask)
    assert "referral.northern_ireland_number" in block.prompts
    node = content.flow.nodes["northern_ireland"]
    assert isinstance(node, ChoiceNode)
    assert not [o for o in node.options if isinstance(content.flow.nodes[o.to], TransferNode)]


@pytest.mark.parametrize(
    ("hours", "when", "opens"),
    [
        ("Mon-Sun 08:00-20:00", dt.datetime(2026, 11, 27, 21, 0, tzinfo=dt.UTC), "tomorrow_0800"),
        ("Mon-Sun 08:00-20:00", dt.datetime(2026, 11, 27, 6, 0, tzinfo=dt.UTC), "today_0800"),
        ("Mon-Fri 09:00-17:00", dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC), "monday_0900"),
        ("never", FRIDAY_NOON, None),
    ],
)
def test_the_closed_nurse_line_says_when_it_opens(
    content: Content, hours: str, when: dt.datetime, opens: str | None
) -> None:
    """0 when the nurse line is closed: it is closed now, when it opens (if it ever does), and
    the safety message, then the choices."""
    step = _at(content, when, hours).respond(fresh("main"), keys="0")
    assert isinstance(step, Ask)
    opening = (f"opens.nurse_line.{opens}",) if opens else ()
    assert step.prompts == (
        "nurse.closed",
        *opening,
        "safety.message",
        "nurse.closed_next",
        "main.return",
    )


def test_eight_is_the_main_menu_from_every_node(make_engine: MakeEngine, content: Content) -> None:
    """8 anywhere goes to the main menu, remembering where the caller was."""
    engine = make_engine()
    start = content.flow.nodes[content.flow.start]
    for node_id in content.flow.nodes:
        step = engine.respond(fresh(node_id), keys="8")
        assert isinstance(step, Ask), node_id
        assert step.state.node == content.flow.start, node_id
        assert step.prompts == start.say, node_id
    assert engine.key_for_words(content.flow.nodes["what_is"], "the main menu please") == "8"


def test_a_number_is_taken_only_after_saying_how_it_is_kept(
    make_engine: MakeEngine, content: Content
) -> None:
    """Asking for a call back says how the number is kept before reading one back or asking."""
    engine = make_engine("never")
    own = engine.respond(fresh("nurse_closed"), keys="1", caller=Caller("CA1", "+442079460123"))
    withheld = engine.respond(fresh("nurse_closed"), keys="1", caller=Caller("CA1", None))
    for step, question in ((own, "callback.own"), (withheld, "callback.withheld")):
        assert isinstance(step, Ask)
        assert step.prompts.index("callback.kept") < step.prompts.index(question)


def test_asking_for_a_nurse_by_voice_never_rings_an_outside_service(content: Content) -> None:
    """At the Scotland block, with PASS open, "put me through to a nurse" rings the nurse line;
    "put me through" alone is the put-through it offers."""
    engine = _at(content, FRIDAY_NOON)
    block = fresh("scotland", history=("main", "referral"))
    nurse = engine.respond(block, speech="put me through to a nurse")
    assert isinstance(nurse, Transfer)
    assert nurse.number == "+441632960000"
    service = engine.respond(block, speech="put me through")
    assert isinstance(service, Transfer)
    assert service.number == "+448009172127"


@pytest.mark.parametrize("phase", ["own", "enter", "check"])
def test_silence_in_a_call_back_keeps_its_question(
    make_engine: MakeEngine, content: Content, phase: str
) -> None:
    """Two silences in the middle of asking for a call back never lose where the caller was: no
    offer that a digit could take; the caller is put through, as before."""
    engine = make_engine()
    step = engine.respond(fresh("callback", silences=1, phase=phase))
    assert isinstance(step, Transfer)
    assert step.state.node == content.flow.operator


def test_eight_is_the_main_menu_while_a_number_is_keyed(make_engine: MakeEngine) -> None:
    """Keying a number for a call back, a lone 8 is the main menu, as everywhere."""
    step = make_engine().respond(fresh("callback", phase="enter"), keys="8")
    assert isinstance(step, Ask)
    assert step.state.node == "main"


def test_hearing_the_closed_nurse_line_again_never_says_it_is_closed_when_it_is_open(
    content: Content,
) -> None:
    """# at the nurse line's closed node (or * back to it) plays the safety message and the
    choices: "closed now" is said only when a caller asks for a nurse while it is closed."""
    engine = _at(content, dt.datetime(2026, 11, 20, 8, 0, 5, tzinfo=dt.UTC), "Mon-Sun 08:00-20:00")
    again = engine.respond(fresh("nurse_closed"), keys="#")
    assert isinstance(again, Ask)
    assert again.prompts == ("safety.message", "nurse.closed_next", "main.return")
