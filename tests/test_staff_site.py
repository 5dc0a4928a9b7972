"""The staff site: sign-in, the callback queue, and every refusal."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from collections.abc import Callable

import argon2
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from ivr import create_app
from ivr.cli import main
from ivr.numbers import PRACTICE_CALLER
from ivr.practice.phone import DEFAULT_CALLER, Phone
from ivr.store import Store, accounts
from ivr.store.tables import JournalLoss
from ivr.webhooks.helpline import helpline, install
from tests.conftest import CALLER, ENV, TOKEN
from tests.test_store import CLOSED_PORT_URL, SECRET

BASE = "https://localhost"  # the session cookie is Secure outside development
# Over https, Flask-WTF also checks that a form came from this site, as browsers say it did.
SAME_SITE = {"Referer": f"{BASE}/staff/"}
PASSWORD = "a long enough password"
NEW_PASSWORD = "another long enough password"
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
        "/staff/\r\nSet-Cookie: session=x",
        "/staff/calls\n",
        "/phone?keys=1\t2",
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


def test_the_dashboard_says_how_much_of_the_journal_was_lost(site: Flask) -> None:
    """Journal events lost while the database was down are counted on the dashboard."""
    client = _signed_in(site)
    page = client.get("/staff/dashboard", base_url=BASE).get_data(as_text=True)
    assert "Nothing was lost from the journal in these 14 days." in page
    store = site.extensions["ivr"].store
    with store.engine.begin() as connection:
        connection.execute(
            sa.insert(JournalLoss).values(at=dt.datetime.now(dt.UTC), failed=5, dropped=2)
        )
    page = client.get("/staff/dashboard", base_url=BASE).get_data(as_text=True)
    assert "7 events of calls could not be written to the journal in these 14 days" in page


def test_the_dashboard_draws_charts_from_200_calls(site: Flask) -> None:
    """Charts of 200 scripted calls: SVG with a text alternative and the figures as a table."""
    scripts = [["1", "1"], ["2", "3", "0"], ["3", "3"], ["4", "2"], ["0"]]
    for n in range(200):
        Phone(site, auth_token=TOKEN, caller=CALLER, dial_outcome=("answered", "busy")[n % 2]).call(
            scripts[n % len(scripts)]
        )
    site.extensions["ivr"].store.flush()
    page = _signed_in(site).get("/staff/dashboard", base_url=BASE).get_data(as_text=True)
    assert page.count('<svg role="img"') == 6
    assert page.count("<desc id=") == 6
    per_day = re.search(r'<desc id="per-day-desc">(.*?)</desc>', page, re.DOTALL)
    assert per_day is not None and per_day.group(1).strip().endswith(": 200.")
    assert "<td>Main menu</td><td>200</td>" in page
    assert "<td>completed</td><td>40</td>" in page and "<td>busy</td><td>40</td>" in page
    assert "Half of the callers put through got there within" in page
    # Those who heard about PASS were asked whether the call helped, and hung up: not answered.
    assert "<td>Scotland: PASS</td><td>40</td><td>0</td><td>0</td>" in page


def test_the_flow_page_shows_each_text_with_its_length(site: Flask) -> None:
    """Every text callers can ask for, in each language, where it is offered and its length."""
    page = _signed_in(site).get("/staff/flow", base_url=BASE).get_data(as_text=True)
    texts = site.extensions["ivr"].content.texts
    for code, book in texts.items():
        for text in book.texts.values():
            assert f"<td>{text.id}</td>\n    <td>{code}</td>" in page
            assert f"{text.length} characters, {text.segments} SMS" in page
    assert "Questions to ask: the first four; Questions to ask: the last three" in page
    assert "0800 917 2127" in page


def test_the_flow_is_shown_as_a_picture_and_a_tree(site: Flask) -> None:
    """The call flow page has the tree of keys, the Mermaid text and (with Graphviz) the SVG."""
    page = _signed_in(site).get("/staff/flow", base_url=BASE).get_data(as_text=True)
    assert "Main menu (main)" in page
    assert "flowchart TD" in page
    if shutil.which("dot"):
        assert "<svg" in page and "What a second opinion is" in page


class CountingHasher:
    """Argon2's hasher, counting its hashes and checks: the work a sign-in costs."""

    def __init__(self, real: argon2.PasswordHasher) -> None:
        self.real = real
        self.calls = 0

    def hash(self, password: str) -> str:
        self.calls += 1
        return self.real.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        self.calls += 1
        return self.real.verify(hashed, password)


def sign_in_from(client: FlaskClient, address: str, name: str, password: str) -> int:
    """Sign in as a browser at `address` would (as the app sees it: ProxyFix's remote_addr)."""
    client.environ_base["REMOTE_ADDR"] = address
    return sign_in(client, name, password)


@pytest.mark.parametrize(
    ("tries_from", "elsewhere"),
    [
        (["203.0.113.7"] * 21, "203.0.113.8"),
        ([f"2001:db8:1:2::{n:x}" for n in range(1, 22)], "2001:db8:1:3::1"),
    ],
    ids=["ipv4", "ipv6-one-64"],
)
def test_many_names_from_one_client_are_stopped_before_any_hashing(
    site: Flask, monkeypatch: pytest.MonkeyPatch, tries_from: list[str], elsewhere: str
) -> None:
    """After 20 wrong tries from a client (an address, or an IPv6 /64), with a new name each
    time, it is told to wait (429) and nothing is hashed; another client still signs in."""
    hasher = CountingHasher(accounts._passwords)
    monkeypatch.setattr(accounts, "_passwords", hasher)
    client = site.test_client()
    tried = [sign_in_from(client, at, f"made-up {n}", "a guess") for n, at in enumerate(tries_from)]
    assert tried == [401] * 20 + [429]
    assert hasher.calls == 20  # one for each try let through, none for the refused one
    response = client.post(
        "/staff/sign-in",
        base_url=BASE,
        headers=SAME_SITE,
        data={"name": "sam", "password": PASSWORD, "csrf_token": csrf_of(_sign_in_page(client))},
    )
    assert (response.status_code, response.headers["Retry-After"]) == (429, "900")
    assert "Too many tries to sign in from here" in response.get_data(as_text=True)
    assert hasher.calls == 20
    assert sign_in_from(site.test_client(), elsewhere, "sam", PASSWORD) == 302


def _sign_in_page(client: FlaskClient) -> str:
    return client.get("/staff/sign-in", base_url=BASE).get_data(as_text=True)


def _cookie(client: FlaskClient) -> str:
    """The session cookie's value, to replay it as someone who copied it would."""
    cookie = client.get_cookie("session", domain="localhost")
    assert cookie is not None
    return cookie.value


def _replaying(site: Flask, cookie: str) -> FlaskClient:
    client = site.test_client()
    client.set_cookie("session", cookie, domain="localhost")
    return client


def _sent_to_sign_in(client: FlaskClient, path: str) -> bool:
    response = client.get(path, base_url=BASE)
    return response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


def test_signing_out_ends_the_session_on_the_server(site: Flask) -> None:
    """A copy of the cookie kept from before signing out opens neither the staff pages nor the
    practice phone; another member of staff stays signed in."""
    site.extensions["ivr"].store.add_staff("kim", PASSWORD)
    client, kim = _signed_in(site), site.test_client()
    assert sign_in(kim, "kim") == 302
    kept = _cookie(client)
    signed_out = client.post(
        "/staff/sign-out",
        base_url=BASE,
        headers=SAME_SITE,
        data={"csrf_token": csrf_of(_sign_in_page(client))},
    )
    assert signed_out.status_code == 302
    paths = ("/staff/", "/staff/calls", "/phone")
    replayed = {path: _sent_to_sign_in(_replaying(site, kept), path) for path in paths}
    assert replayed == dict.fromkeys(paths, True)
    assert kim.get("/staff/", base_url=BASE).status_code == 200


def test_a_changed_password_ends_every_session_of_the_account(
    site: Flask, tmp_path: object
) -> None:
    """`ivr staff password` (asked twice) signs the account out everywhere; the new one works."""
    first, second = _signed_in(site), _signed_in(site)
    env = {**ENV, "DATABASE_URL": f"sqlite:///{tmp_path}/staff.sqlite3"}
    changed = CliRunner().invoke(
        main, ["staff", "password", "sam"], env=env, input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    )
    assert changed.exit_code == 0, changed.output
    assert [_sent_to_sign_in(c, "/staff/") for c in (first, second)] == [True, True]
    assert sign_in(site.test_client()) == 401
    assert sign_in(site.test_client(), "sam", NEW_PASSWORD) == 302


def test_a_removed_account_is_signed_out(site: Flask) -> None:
    """Removing the account ends its sessions at once."""
    client = _signed_in(site)
    site.extensions["ivr"].store.remove_staff("sam")
    assert _sent_to_sign_in(client, "/staff/")


def test_a_session_without_the_account_s_stamp_is_not_signed_in(site: Flask) -> None:
    """A cookie naming a member of staff, as made before sessions could be ended, is not enough."""
    client = site.test_client()
    with client.session_transaction(base_url=BASE) as session:
        session["staff"] = "sam"
    assert _sent_to_sign_in(client, "/staff/")


SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000",
}
NO_STYLES = "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize(
    "path", ["/staff/sign-in", "/staff/", "/staff/dashboard", "/staff/flow", "/staff/nowhere"]
)
def test_staff_pages_send_security_headers(site: Flask, path: str) -> None:
    """No framing, sniffing or referrer elsewhere, HTTPS only, and only the page's own styles."""
    response = _signed_in(site).get(path, base_url=BASE)
    assert {name: response.headers.get(name) for name in SECURITY} == SECURITY
    nonce = re.search(r'<style nonce="([^"]+)">', response.get_data(as_text=True))
    styles = f"style-src 'nonce-{nonce.group(1)}'; " if nonce else ""
    policy = (
        f"default-src 'none'; {styles}form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    assert response.headers["Content-Security-Policy"] == policy
    assert (nonce is not None) == (path != "/staff/nowhere")  # Flask's own 404 has no styles
    assert "style=" not in response.get_data(as_text=True)  # the policy would refuse it


def test_each_page_has_a_style_nonce_of_its_own(site: Flask) -> None:
    """Two answers, two nonces: a nonce seen once is no use for another page."""
    client = site.test_client()
    policies = {
        client.get("/staff/sign-in", base_url=BASE).headers["Content-Security-Policy"]
        for _ in range(2)
    }
    assert len(policies) == 2


def test_the_staff_api_sends_security_headers(site: Flask) -> None:
    """Its answers (a refusal here) carry the same headers, with nothing allowed to load."""
    response = site.test_client().get("/staff/api/callbacks", base_url=BASE)
    assert response.status_code == 401
    assert {name: response.headers.get(name) for name in SECURITY} == SECURITY
    assert response.headers["Content-Security-Policy"] == NO_STYLES


def test_development_sends_no_strict_transport_security(tmp_path: object) -> None:
    """Plain http on loopback in development: the browser is not told to insist on HTTPS."""
    app = create_app({**ENV, "DATABASE_URL": f"sqlite:///{tmp_path}/dev.sqlite3"}, development=True)
    response = app.test_client().get("/staff/sign-in")
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"
    app.extensions["ivr"].store.close()


@pytest.mark.parametrize("path", ["/staff/", "/staff/calls", "/staff/dashboard"])
@pytest.mark.parametrize("found_by", ["session check", "page"])
def test_with_the_database_down_every_page_is_the_503_page(
    site: Flask, monkeypatch: pytest.MonkeyPatch, path: str, found_by: str
) -> None:
    """The same page that says the database is not answering (503), never a 500: whether the
    session check finds it down, or the page's own query."""
    client = _signed_in(site)
    down = Store(CLOSED_PORT_URL, SECRET)
    if found_by == "page":
        monkeypatch.setattr(down, "still_signed_in", lambda session: True)
    install(site, dataclasses.replace(helpline(site), store=down))
    try:
        response = client.get(path, base_url=BASE)
    finally:
        down.close()
    assert (response.status_code, response.headers["Retry-After"]) == (503, "60")
    assert "The database is not answering. Try again in a minute." in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize(("method", "path"), [("GET", "/phone"), ("POST", "/phone/sid")])
def test_with_the_database_down_the_practice_phone_says_so(
    site: Flask, method: str, path: str
) -> None:
    """The session cannot be checked: the page says so (503), and its requests in JSON."""
    client = _signed_in(site)
    down = Store(CLOSED_PORT_URL, SECRET)
    install(site, dataclasses.replace(helpline(site), store=down))
    try:
        response = client.open(path, method=method, base_url=BASE, headers=SAME_SITE)
    finally:
        down.close()
    said = "The database is not answering. Try again in a minute."
    assert response.status_code == 503
    if method == "POST":
        assert response.get_json() == {"error": said}
    else:
        assert said in response.get_data(as_text=True)


def test_marking_done_an_id_too_big_for_the_column_is_a_404(site: Flask) -> None:
    """Not a database error: no request has that id."""
    client = _signed_in(site)
    response = client.post(
        f"/staff/callbacks/{2**31}/done",
        base_url=BASE,
        headers=SAME_SITE,
        data={"csrf_token": csrf_of(_sign_in_page(client))},
    )
    assert response.status_code == 404
