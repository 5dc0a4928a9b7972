"""The staff site: sign-in, the callback queue, and every refusal."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from ivr.cli import main
from ivr.phone import Phone
from tests.conftest import CALLER, ENV, TOKEN

BASE = "https://localhost"  # the session cookie is Secure outside development
# Over https, Flask-WTF also checks that a form came from this site, as browsers say it did.
SAME_SITE = {"Referer": f"{BASE}/staff/"}
PASSWORD = "a long enough password"


@pytest.fixture
def site(make_app: Callable[..., Flask], tmp_path: object) -> Flask:
    """The helpline on its own database, with one member of staff."""
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/staff.sqlite3", NURSE_LINE_HOURS="never")
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
    Phone(site, auth_token=TOKEN, caller=CALLER).call(["2", "1", "1", "0", "1", "1"])
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
