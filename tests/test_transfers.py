"""Putting callers through: the nurse's whisper, taking the call with 1, and when nobody does."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from ivr.content.load import Content
from ivr.content.model import TransferNode
from ivr.practice.phone import Phone
from tests.conftest import TOKEN, signed_post


def test_the_nurse_hears_where_the_caller_was_and_their_reasons(
    make_app: Callable[..., Flask], content: Content
) -> None:
    """The whisper names the part of the guidance and the reasons said yes to, then 1 to take it."""
    transcript = Phone(make_app(), auth_token=TOKEN).call(["2", "1", "1", "2", "1", "2", "2", "0"])
    whisper = " ".join(e.text for e in transcript.of_kind("whisper"))
    summary = content.flow.nodes["walk_summary"]
    assert f"The caller was listening to: {summary.title}." in whisper
    assert (
        "they said yes to: being unsure about the diagnosis; wanting to be sure the "
        "treatment is the best option."
    ) in whisper
    assert "To take the call, press 1." in whisper
    assert transcript.heard()[-1] == content.prompts["system.after_call"].spoken
    assert transcript.ended_by == "hangup"


def test_without_reasons_the_whisper_says_only_the_part(make_app: Callable[..., Flask]) -> None:
    """A caller who took no walk-through: no reasons are read to the nurse."""
    transcript = Phone(make_app(), auth_token=TOKEN).call(["3", "0"])
    whisper = " ".join(e.text for e in transcript.of_kind("whisper"))
    assert "listening to: Preparing" in whisper
    assert "said yes to" not in whisper


def test_a_call_nobody_takes_is_not_swallowed(
    make_app: Callable[..., Flask], content: Content
) -> None:
    """If the nurse (or a voicemail) does not press 1, the caller is told and given choices."""
    operator = content.flow.nodes[content.flow.operator]
    assert isinstance(operator, TransferNode)
    transcript = Phone(make_app(), auth_token=TOKEN, dial_outcome="declined").call(["0", "."])
    assert transcript.errors() == []
    assert transcript.of_kind("dial")[0].attrs["outcome"] == "declined"
    unavailable = content.flow.nodes[operator.unavailable]
    assert content.prompts[unavailable.say[0]].spoken in transcript.heard()
    assert transcript.ended_by == "caller-hung-up"


def test_the_whisper_asks_for_one_key_and_hangs_up_without_it(client: FlaskClient) -> None:
    """The whisper's Gather takes one key; with none, the nurse hears why, then it hangs up."""
    _, _, body = signed_post(client, "/voice/whisper?n=nurse&b=main")
    root = ET.fromstring(body)
    assert [c.tag for c in root] == ["Gather", "Say", "Hangup"]
    gather = root[0]
    assert (gather.attrib["numDigits"], gather.attrib["input"]) == ("1", "dtmf")
    assert gather.attrib["action"].startswith("/voice/whisper/accept?n=nurse")


def test_only_one_takes_the_call(client: FlaskClient) -> None:
    """1 answers an empty TwiML (the calls are joined); any other key says goodbye to the nurse."""
    _, _, taken = signed_post(
        client,
        "/voice/whisper/accept?n=nurse",
        {"Digits": "1"},
    )
    _, _, refused = signed_post(
        client,
        "/voice/whisper/accept?n=nurse",
        {"Digits": "2"},
    )
    assert list(ET.fromstring(taken)) == []
    assert [c.tag for c in ET.fromstring(refused)] == ["Say", "Hangup"]


def test_the_dial_carries_the_whisper_url(client: FlaskClient) -> None:
    """The nurse line is dialled with <Number url=...> pointing at the whisper."""
    _, _, body = signed_post(client, "/voice/step?n=about&b=main", {"Digits": "0"})
    number = ET.fromstring(body).find("Dial/Number")
    assert number is not None
    assert number.attrib["url"].startswith("/voice/whisper?n=nurse&b=main.about")


def test_a_patient_advice_service_is_dialled_from_its_data_without_a_whisper(
    client: FlaskClient, content: Content
) -> None:
    """Put through to PASS on 3 (a weekday at noon): its number from data/services.yaml, and
    no whisper, which is for the nurse line's own nurses."""
    _, _, body = signed_post(client, "/voice/step?n=scotland&b=main.referral", {"Digits": "3"})
    number = ET.fromstring(body).find("Dial/Number")
    assert number is not None
    assert number.text == content.services["scotland"].number == "+448009172127"
    assert "url" not in number.attrib


def test_a_service_without_known_hours_is_never_dialled(client: FlaskClient) -> None:
    """The Patient and Client Council's hours are not known: no key in its block rings it."""
    for key in "1234":
        _, _, body = signed_post(
            client, "/voice/step?n=northern_ireland&b=main.referral", {"Digits": key}
        )
        assert ET.fromstring(body).find("Dial") is None, key


def test_service_numbers_are_read_from_the_data(content: Content) -> None:
    """The written prompt shows the number as people write it; the voice says it in groups."""
    prompt = content.prompts["referral.scotland_number"]
    assert "0800 917 2127" in prompt.text
    assert "oh eight hundred, nine one seven, two one two seven" in prompt.spoken
    assert "Monday to Friday, from 9 in the morning until 5 in the afternoon" in prompt.spoken
