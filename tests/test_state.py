"""The call state in a URL: the same letters and values as ever, so links of calls in progress
keep working across a deploy."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from ivr.call.state import CallbackPhase, CallState, Decoded, Waiting, decode, query_decoder
from ivr.content.load import Content


def test_phases_keep_their_url_values() -> None:
    """A call back's questions, the entry code, the nurse offer and the question of whether
    the call helped are written as before."""
    assert [p.value for p in CallbackPhase] == ["own", "enter", "check"]
    assert [p.value for p in Waiting] == ["code", "offer", "help"]


@pytest.mark.parametrize(
    ("query", "state"),
    [
        ("n=main", CallState("main")),
        (
            "n=about&b=main&s=1&w=2&y=unsure_diagnosis&p=s&c=offer",
            CallState(
                "about", ("main",), 1, 2, frozenset({"unsure_diagnosis"}), True, Waiting.NURSE_OFFER
            ),
        ),
        (
            "n=callback&b=main.nurse&c=check&k=abc",
            CallState("callback", ("main", "nurse"), phase=CallbackPhase.CHECK, sealed="abc"),
        ),
        ("n=main&c=code", CallState("main", phase=Waiting.CODE)),
        (
            "n=england&b=main.referral&c=help&x=england.questions&f=1",
            CallState(
                "england",
                ("main", "referral"),
                phase=Waiting.FEEDBACK,
                texted=("england", "questions"),
                asked=True,
            ),
        ),
    ],
)
def test_an_old_url_decodes_as_before_and_is_written_the_same(
    content: Content, query: str, state: CallState
) -> None:
    """URLs written before the language travelled with the call read back the same state, and
    the state writes the same URL: the first language is never written."""
    decoded = query_decoder(content.flow, content.languages.others())(query)
    assert decoded == Decoded(state, stale=False)
    assert urlencode(decoded.state.to_query()) == query


@pytest.mark.parametrize(
    "query",
    ["n=main&c=later", "n=main&l=xx-XX", "n=main&l=en-GB", "n=main&x=Bad-Kind", "n=main&f=2"],
)
def test_unknown_values_are_stale(content: Content, query: str) -> None:
    """A phase or a language the helpline does not know marks the link stale (the first
    language is never written, so naming it is not a link the helpline made)."""
    decoded = decode(dict(p.split("=") for p in query.split("&")), content.flow)
    assert decoded.stale
    assert decoded.state.phase == "" and decoded.state.language == ""
