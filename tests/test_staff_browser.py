"""The staff site in a real Chromium: by keyboard alone, checked with axe-core on every page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from ivr import create_app
from ivr.phone import Phone
from tests.conftest import CALLER, ENV, TOKEN, no_violations, served

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The helpline served on loopback, after 200 scripted calls and one call back."""
    folder = tmp_path_factory.mktemp("browser")
    env = {**ENV, "DATABASE_URL": f"sqlite:///{folder}/staff.sqlite3"}
    app = create_app(env, development=True)  # plain http on loopback: no Secure cookie
    store = app.extensions["ivr"].store
    store.add_staff("sam", PASSWORD)
    scripts = [["1", "1"], ["2", "3", "0"], ["3", "3"], ["4", "2"], ["0"]]
    answered, busy = (
        Phone(app, auth_token=TOKEN, caller=CALLER, dial_outcome=outcome)
        for outcome in ("answered", "busy")
    )
    for n in range(200):
        (answered, busy)[n % 2].call(scripts[n % len(scripts)])
    busy.call(["0", "1", "1"])
    store.flush()
    with served(app) as base:
        yield base
    store.close()


def test_sign_in_queue_dashboard_and_flow_by_keyboard(server: str, browser: object) -> None:
    """Sign in and mark a call back done with the keyboard alone; axe finds no violation."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server}/staff/")
    assert page.url.endswith("/staff/sign-in?next=/staff/")
    no_violations(page, "sign-in")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "name"
    page.keyboard.type("sam")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/staff/")
    assert "1 waiting, oldest first." in page.content()
    no_violations(page, "queue")
    done = page.get_by_role("button", name=f"Mark the call back to {CALLER} done")
    done.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Nobody is waiting for a call back." in page.content()

    page.goto(f"{server}/staff/dashboard")
    assert page.locator("svg[role=img]").count() == 4
    no_violations(page, "dashboard")
    page.goto(f"{server}/staff/calls")
    assert page.locator("tbody tr").count() == 50
    no_violations(page, "calls")
    page.goto(f"{server}/staff/flow")
    if shutil.which("dot"):
        assert page.locator("figure svg").count() == 1
    no_violations(page, "flow")
    page.close()
