"""Transferring callers in: entry codes after *, /voice/entry/<code>, and moving a live call."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs

import pytest
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ivr.content.load import Content
from ivr.content.model import InfoNode, MenuNode, QuestionNode
from ivr.practice.phone import Phone
from ivr.report import entry_codes
from tests.conftest import ROOT, TOKEN
from tests.test_calls import keyed_nodes

ACCOUNT = "AC" + "1" * 32
CALL = "CA" + "2" * 32


def entry_said(app: Flask, part: str) -> str:
    text: str = app.extensions["ivr"].content.prompts["system.entry"].spoken
    return text.replace("{part}", part)


def test_star_and_a_code_at_the_main_menu_send_the_caller_to_that_part(
    app: Flask, content: Content
) -> None:
    """Staff key * and 34 (and #) after transferring: the caller lands in the questions to ask."""
    transcript = Phone(app, auth_token=TOKEN).call(["*", "34#", "0"])
    assert transcript.errors() == []
    questions = content.flow.nodes["questions"]
    heard = transcript.heard()
    assert entry_said(app, questions.title) in heard
    after = heard[heard.index(entry_said(app, questions.title)) + 1]
    assert after == app.extensions["ivr"].content.prompts[questions.say[0]].spoken
    assert len(transcript.of_kind("dial")) == 1  # every key works there: 0 reaches a nurse


def test_a_caller_who_presses_star_then_a_choice_gets_that_choice(app: Flask) -> None:
    """At the main menu, * then 2 is simply option 2."""
    transcript = Phone(app, auth_token=TOKEN).call(["*", "2"])
    gathers = transcript.of_kind("gather")
    assert "n=reasons" in (gathers[-1].url or "")


def test_entry_url_for_systems_that_set_a_url(app: Flask, content: Content) -> None:
    """/voice/entry/<code> starts the call in that part, and * goes back to the main menu."""
    transcript = Phone(app, auth_token=TOKEN).call(["*"], path="/voice/entry/27")
    assert transcript.errors() == []
    assert transcript.heard()[0] == entry_said(app, content.flow.nodes["benefits"].title)
    assert "n=main" in (transcript.of_kind("gather")[-1].url or "")


def test_an_unknown_code_says_so_and_plays_the_main_menu(app: Flask) -> None:
    """A code nobody has: an apology, then the main menu; never an error."""
    transcript = Phone(app, auth_token=TOKEN).call([], path="/voice/entry/99")
    prompts = app.extensions["ivr"].content.prompts
    assert transcript.errors() == []
    assert transcript.heard()[0] == prompts["system.entry_unknown"].spoken


def test_the_readme_lists_every_entry_code(content: Content) -> None:
    """The README's list of entry codes is what `ivr codes` prints."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Entry codes\n.*?```text\n(.*?)\n```", readme, re.DOTALL)
    assert block is not None
    assert block.group(1).splitlines() == entry_codes(content)


# --- moving a live call with Twilio's REST API, against a local stand-in -----------------------


@pytest.fixture
def twilio_api() -> Iterator[tuple[str, list[dict[str, object]]]]:
    """A local HTTP server answering like Twilio's Calls API; it records what it was sent."""
    received: list[dict[str, object]] = []

    @Request.application  # type: ignore[misc]
    def api(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        auth = base64.b64decode(request.headers.get("Authorization", "Basic ")[6:]).decode()
        received.append(
            {
                "method": request.method,
                "path": request.path,
                "form": form,
                "user": auth.split(":")[0],
            }
        )
        if CALL not in request.path:
            return Response(
                json.dumps({"code": 20404, "message": "not found", "status": 404}),
                status=404,
                content_type="application/json",
            )
        call = {"sid": CALL, "account_sid": ACCOUNT, "status": "in-progress"}
        return Response(json.dumps(call), content_type="application/json")

    server = make_server("127.0.0.1", 0, api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def staff_app(
    make_app: Callable[..., Flask], twilio_api: tuple[str, list[dict[str, object]]]
) -> Flask:
    return make_app(
        TWILIO_ACCOUNT_SID=ACCOUNT,
        TWILIO_API_BASE_URL=twilio_api[0],
        PUBLIC_BASE_URL="https://helpline.example.org",
    )


def test_the_redirect_api_moves_a_live_call(
    staff_app: Flask, twilio_api: tuple[str, list[dict[str, object]]]
) -> None:
    """With a staff token, the call is moved by the real twilio client to the part's entry URL."""
    token = staff_app.extensions["ivr"].store.create_token("test")
    response = staff_app.test_client().post(
        f"/staff/api/calls/{CALL}/redirect",
        json={"code": "34"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_json()
    [sent] = twilio_api[1]
    assert sent == {
        "method": "POST",
        "path": f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{CALL}.json",
        "form": {"Url": "https://helpline.example.org/voice/entry/34", "Method": "POST"},
        "user": ACCOUNT,
    }


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, {"code": "34"}, 401),
        ({"Authorization": "Bearer not-a-token"}, {"code": "34"}, 401),
        (None, {"code": "99"}, 400),
    ],
)
def test_the_redirect_api_refuses(
    staff_app: Flask,
    twilio_api: tuple[str, list[dict[str, object]]],
    headers: dict[str, str] | None,
    body: dict[str, str],
    status: int,
) -> None:
    """No token, a wrong token, or an unknown code: refused, and Twilio is never asked."""
    if headers is None:
        token = staff_app.extensions["ivr"].store.create_token("test")
        headers = {"Authorization": f"Bearer {token}"}
    response = staff_app.test_client().post(
        f"/staff/api/calls/{CALL}/redirect", json=body, headers=headers
    )
    assert response.status_code == status
    assert twilio_api[1] == []


def test_a_call_twilio_does_not_know_is_a_502(
    staff_app: Flask, twilio_api: tuple[str, list[dict[str, object]]]
) -> None:
    """When Twilio answers with an error, the staff tool hears so."""
    token = staff_app.extensions["ivr"].store.create_token("test")
    other = "CA" + "3" * 32
    response = staff_app.test_client().post(
        f"/staff/api/calls/{other}/redirect",
        json={"code": "34"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 502
    assert len(twilio_api[1]) == 1


def test_every_part_of_the_real_guidance_has_its_own_code(content: Content) -> None:
    """No part a caller reaches by keys is without an entry code (a warning, not an error)."""
    assert [str(w) for w in content.warnings if "entry code" in w.message] == []
    nodes = content.flow.nodes
    codes = [n.code for n in nodes.values() if n.code]
    # Each menu and information part reached by keys has one (those after a transfer have
    # none), and so has the walk-through, at its first question.
    keyed = [nodes[n] for n in keyed_nodes(content)]
    parts = [n for n in keyed if isinstance(n, MenuNode | InfoNode)]
    walks = {o.to for n in parts for o in n.options if isinstance(nodes[o.to], QuestionNode)}
    assert len(codes) == len(set(codes)) == len(parts) + len(walks)
