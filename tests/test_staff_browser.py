"""The staff site in a real Chromium: by keyboard alone, checked with axe-core on every page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from ivr import create_app
from ivr.practice.phone import Phone
from tests.conftest import CALLER, ENV, TOKEN, no_violations, served

PASSWORD = "a long enough password"
# Run in every page before its own content: collects what the Content-Security-Policy refused.
REFUSALS = """
window.refusedByPolicy = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.refusedByPolicy.push(`${event.violatedDirective}: ${event.blockedURI || "inline"}`);
});
"""


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


def checked(page: object, name: str) -> None:
    """axe finds no violation, and the page's security policy refused nothing on it."""
    no_violations(page, name)
    assert page.evaluate("window.refusedByPolicy") == [], name  # type: ignore[attr-defined]


def test_sign_in_queue_dashboard_and_flow_by_keyboard(server: str, browser: object) -> None:
    """Sign in and mark a call back done with the keyboard alone; axe finds no violation, and
    the security policy refuses nothing on any page."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.add_init_script(REFUSALS)
    page.goto(f"{server}/staff/")
    assert page.url.endswith("/staff/sign-in?next=/staff/")
    checked(page, "sign-in")
    # The page's own styles apply under its Content-Security-Policy (by their nonce).
    assert (
        page.evaluate("getComputedStyle(document.querySelector('header')).borderBottomStyle")
        == "solid"
    )
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
    checked(page, "queue")
    done = page.get_by_role("button", name=f"Mark the call back to {CALLER} done")
    done.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Nobody is waiting for a call back." in page.content()

    page.goto(f"{server}/staff/dashboard")
    assert page.locator("svg[role=img]").count() == 4
    checked(page, "dashboard")
    page.goto(f"{server}/staff/calls")
    assert page.locator("tbody tr").count() == 50
    checked(page, "calls")
    page.goto(f"{server}/staff/flow")
    if shutil.which("dot"):
        assert page.locator("figure svg").count() == 1
    checked(page, "flow")
    page.close()
