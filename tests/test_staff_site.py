"""The staff site: sign-in, the callback queue, and every refusal."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from ivr.cli import main
from ivr.numbers import PRACTICE_CALLER
from ivr.phone import DEFAULT_CALLER, Phone
from tests.conftest import CALLER, ENV, TOKEN

BASE = "https://localhost"  # the session cookie is Secure outside development
# Over https, Flask-WTF also checks that a form came from this site, as browsers say it did.
SAME_SITE = {"Referer": f"{BASE}/staff/"}
PASSWORD = "a long enough password"
PRACTICE_HEADING = "Practice call backs (from the practice phones): do not ring"
PRACTICED = "+442079460958"  # the number keyed on the practice phone to be called back


@pytest.fixture
def site(make_app: Callable[..., Flask], tmp_path: object) -> Flask:
    """The helpline on its own database, with one member of staff."""
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/staff.sqlite3")
    app.extensions["ivr"].store.add_staff("sam", PASSWORD)
    return app


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def sign_in(client: FlaskClient, name: str = "sam", password: str = PASSWORD) -> int:
    page = client.get("/staff/sign-in", base_url=BASE).get_data(as_text=True)
    response = client.post(
        "/staff/sign-in",
        base_url=BASE,
        headers=SAME_SITE,
        data={"name": name, "password": password, "csrf_token": csrf_of(page)},
    )
    return response.status_code


def test_pages_need_a_signed_in_member_of_staff(site: Flask) -> None:
    """Without a session, the queue sends you to sign in (and back after)."""
    response = site.test_client().get("/staff/", base_url=BASE)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/sign-in?next=/staff/")


def test_sign_in_then_see_the_queue_and_mark_one_done(site: Flask) -> None:
    """A booked call back shows with what the caller needed; marking it done removes it."""
    # Nobody free on the nurse line: the caller asks for a call back on their own number.
    Phone(site, auth_token=TOKEN, caller=CALLER, dial_outcome="busy").call(
        ["2", "1", "1", "0", "1", "1"]
    )
    client = site.test_client()
    assert sign_in(client) == 302
    page = client.get("/staff/", base_url=BASE).get_data(as_text=True)
    assert CALLER in page
    assert "being unsure about the diagnosis" in page
    assert "1 waiting, oldest first." in page
    [request] = site.extensions["ivr"].store.open_callbacks()
    response = client.post(
        f"/staff/callbacks/{request.id}/done",
        base_url=BASE,
        headers=SAME_SITE,
        data={"csrf_token": csrf_of(page)},
    )
    assert response.status_code == 302
    assert site.extensions["ivr"].store.open_callbacks() == []
    assert "Nobody is waiting" in client.get("/staff/", base_url=BASE).get_data(as_text=True)


def test_practice_call_backs_are_listed_apart_as_not_to_be_rung(site: Flask) -> None:
    """A real request is in the queue as ever; one from the practice phone is in a section of
    its own that says not to ring it, and can be marked done like any other."""
    Phone(site, auth_token=TOKEN, caller=CALLER, dial_outcome="busy").call(
        ["2", "1", "1", "0", "1", "1"]
    )
    # The practice number is not one to ring back: the tester keys one in.
    Phone(site, auth_token=TOKEN, dial_outcome="busy").call(["0", "1", "02079460958#", "1"])
    client = _signed_in(site)
    page = client.get("/staff/", base_url=BASE).get_data(as_text=True)
    real, _, practice = page.partition(PRACTICE_HEADING)
    assert practice, page
    assert "1 waiting, oldest first." in real
    assert CALLER in real and PRACTICED not in real
    assert PRACTICED in practice and CALLER not in practice
    assert f"Mark the practice call back to {PRACTICED} done" in practice
    store = site.extensions["ivr"].store
    [booked] = [c for c in store.open_callbacks() if c.practice]
    response = client.post(
        f"/staff/callbacks/{booked.id}/done",
        base_url=BASE,
        headers=SAME_SITE,
        data={"csrf_token": csrf_of(page)},
    )
    assert response.status_code == 302
    after = client.get("/staff/", base_url=BASE).get_data(as_text=True)
    assert PRACTICE_HEADING not in after and CALLER in after


def test_with_only_practice_call_backs_nobody_real_is_waiting(site: Flask) -> None:
    """The queue and the dashboard say nobody is waiting; the practice one is still listed."""
    Phone(site, auth_token=TOKEN, dial_outcome="busy").call(["0", "1", "02079460958#", "1"])
    client = _signed_in(site)
    page = client.get("/staff/", base_url=BASE).get_data(as_text=True)
    assert "Nobody is waiting for a call back." in page
    assert PRACTICE_HEADING in page and PRACTICED in page
    dashboard = client.get("/staff/dashboard", base_url=BASE).get_data(as_text=True)
    assert "Nobody is waiting for a call back." in dashboard


def test_the_session_cookie_is_secure(site: Flask) -> None:
    """HttpOnly, SameSite=Lax and Secure: not readable by scripts nor sent over http."""
    client = site.test_client()
    page = client.get("/staff/sign-in", base_url=BASE).get_data(as_text=True)
    response = client.post(
        "/staff/sign-in",
        base_url=BASE,
        headers=SAME_SITE,
        data={"name": "sam", "password": PASSWORD, "csrf_token": csrf_of(page)},
    )
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_a_form_without_its_csrf_token_is_refused(site: Flask) -> None:
    """Signing in, marking done and signing out all need the form's CSRF token."""
    client = site.test_client()
    assert (
        client.post(
            "/staff/sign-in",
            base_url=BASE,
            headers=SAME_SITE,
            data={"name": "sam", "password": PASSWORD},
        ).status_code
        == 400
    )
    assert sign_in(client) == 302
    assert (
        client.post("/staff/callbacks/1/done", base_url=BASE, headers=SAME_SITE).status_code == 400
    )
    assert client.post("/staff/sign-out", base_url=BASE, headers=SAME_SITE).status_code == 400


@pytest.mark.parametrize(("name", "password"), [("sam", "not the password"), ("nobody", PASSWORD)])
def test_a_wrong_name_or_password_gets_the_same_answer(
    site: Flask, name: str, password: str
) -> None:
    """An unknown name and a wrong password look the same: 401, and no session."""
    client = site.test_client()
    assert sign_in(client, name, password) == 401
    assert client.get("/staff/", base_url=BASE).status_code == 302


def test_sign_in_attempts_are_limited(site: Flask) -> None:
    """After five wrong passwords for a name, even the right one must wait."""
    client = site.test_client()
    assert [sign_in(client, "sam", f"wrong {n}") for n in range(5)] == [401] * 5
    assert sign_in(client) == 429
    assert client.get("/staff/", base_url=BASE).status_code == 302


def test_after_sign_in_only_a_staff_page_is_a_destination(site: Flask) -> None:
    """A `next` pointing off the site is ignored: staff land on the queue."""
    client = site.test_client()
    page = client.get("/staff/sign-in", base_url=BASE).get_data(as_text=True)
    response = client.post(
        "/staff/sign-in?next=https://evil.example/",
        base_url=BASE,
        headers=SAME_SITE,
        data={"name": "sam", "password": PASSWORD, "csrf_token": csrf_of(page)},
    )
    assert response.headers["Location"] == "/staff/"


def _sign_in_to(client: FlaskClient, target: str) -> str:
    """Sign in from a link with `next` set to `target`; where staff are sent after."""
    page = client.get("/staff/sign-in", base_url=BASE).get_data(as_text=True)
    response = client.post(
        "/staff/sign-in",
        base_url=BASE,
        headers=SAME_SITE,
        query_string={"next": target},
        data={"name": "sam", "password": PASSWORD, "csrf_token": csrf_of(page)},
    )
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.mark.parametrize("target", ["/phone?start=21&keys=1", "/phone", "/phone/", "/staff/calls"])
def test_after_sign_in_a_link_to_the_practice_phone_is_followed(site: Flask, target: str) -> None:
    """A shared practice phone link keeps its options through signing in."""
    assert _sign_in_to(site.test_client(), target) == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/phone",
        "https://evil.example/phone",
        "/phonebook",
        "/\\evil.example",
        "/phone?next=//evil.example",
        "/staff/\\evil.example",
        "javascript:alert(1)",
        "",
    ],
)
def test_after_sign_in_any_other_next_leads_to_the_queue(site: Flask, target: str) -> None:
    """Off the site, or a page that is neither a staff page nor the practice phone: the queue."""
    assert _sign_in_to(site.test_client(), target) == "/staff/"


def test_ivr_staff_add_makes_an_account(tmp_path: object) -> None:
    """`ivr staff add` asks for a password and makes an account that can sign in."""
    env = {**ENV, "DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3"}
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    made = runner.invoke(main, ["staff", "add", "alex"], env=env, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert made.exit_code == 0, made.output
    short = runner.invoke(main, ["staff", "add", "kim", "--password", "short"], env=env)
    assert short.exit_code != 0
    assert "at least 12 characters" in short.output


def _signed_in(site: Flask) -> FlaskClient:
    client = site.test_client()
    assert sign_in(client) == 302
    return client


def test_recent_calls_show_the_path_and_transfers_never_the_number(site: Flask) -> None:
    """Each call shows the parts it went through and how a transfer ended; no number."""
    Phone(site, auth_token=TOKEN, caller=CALLER, dial_outcome="busy").call(["3", "3", "0"])
    site.extensions["ivr"].store.flush()
    page = _signed_in(site).get("/staff/calls", base_url=BASE).get_data(as_text=True)
    assert "Main menu → Preparing" in page
    assert "Questions to ask: the first four" in page
    assert "Trying the nurse line: put the caller through to a nurse: " in page
    assert CALLER not in page and CALLER[3:] not in page


def test_practice_calls_are_listed_as_such(site: Flask) -> None:
    """A call from the practice phone is among recent calls, marked; a real call is not."""
    assert DEFAULT_CALLER == PRACTICE_CALLER  # the phone practises unless told another number
    Phone(site, auth_token=TOKEN).call(["1"])
    Phone(site, auth_token=TOKEN, caller=CALLER).call(["2"])
    site.extensions["ivr"].store.flush()
    page = _signed_in(site).get("/staff/calls", base_url=BASE).get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>", page, re.DOTALL)
    assert len(rows) == 2
    assert [row.endswith(", practice call") for row in rows] == [False, True]  # newest first
    assert page.count("practice call") == 1


def test_the_dashboard_leaves_practice_calls_out_and_says_how_many(site: Flask) -> None:
    """Two practice calls and one real one: the charts count one, and the page says two left."""
    for keys in (["2", "3", "0"], ["0"]):
        Phone(site, auth_token=TOKEN, dial_outcome="busy").call(keys)
    Phone(site, auth_token=TOKEN, caller=CALLER).call(["1", "1"])
    site.extensions["ivr"].store.flush()
    page = _signed_in(site).get("/staff/dashboard", base_url=BASE).get_data(as_text=True)
    per_day = re.search(r'<desc id="per-day-desc">(.*?)</desc>', page, re.DOTALL)
    assert per_day is not None and per_day.group(1).strip().endswith(": 1.")
    assert "<td>Main menu</td><td>1</td>" in page
    left_out = "Calls from the practice phone are left out of these figures: 2 in these 14 days."
    assert left_out in page
    assert "Nobody has been put through yet." in page  # only the practice calls were


def test_the_dashboard_draws_charts_from_200_calls(site: Flask) -> None:
    """Charts of 200 scripted calls: SVG with a text alternative and the figures as a table."""
    scripts = [["1", "1"], ["2", "3", "0"], ["3", "3"], ["4", "2"], ["0"]]
    for n in range(200):
        Phone(site, auth_token=TOKEN, caller=CALLER, dial_outcome=("answered", "busy")[n % 2]).call(
            scripts[n % len(scripts)]
        )
    site.extensions["ivr"].store.flush()
    page = _signed_in(site).get("/staff/dashboard", base_url=BASE).get_data(as_text=True)
    assert page.count('<svg role="img"') == 4
    assert page.count("<desc id=") == 4
    per_day = re.search(r'<desc id="per-day-desc">(.*?)</desc>', page, re.DOTALL)
    assert per_day is not None and per_day.group(1).strip().endswith(": 200.")
    assert "<td>Main menu</td><td>200</td>" in page
    assert "<td>completed</td><td>40</td>" in page and "<td>busy</td><td>40</td>" in page
    assert "Half of the callers put through got there within" in page


def test_the_flow_is_shown_as_a_picture_and_a_tree(site: Flask) -> None:
    """The call flow page has the tree of keys, the Mermaid text and (with Graphviz) the SVG."""
    page = _signed_in(site).get("/staff/flow", base_url=BASE).get_data(as_text=True)
    assert "Main menu (main)" in page
    assert "flowchart TD" in page
    if shutil.which("dot"):
        assert "<svg" in page and "What a second opinion is" in page
