"""The staff site in a real Chromium: by keyboard alone, checked with axe-core on every page."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr import create_app
from ivr.practice.phone import Phone
from ivr.store import Store
from tests.conftest import CALLER, ENV, TOKEN, no_violations, served
from tests.test_store import SECRET
from tests.test_voicemail_store import (
    ACCOUNT,
    AUDIO,
    AUTH_TOKEN,
    CALL,
    FIRST,
    OTHER_CALL,
    SECOND,
    TwilioStandIn,
    left,
    twilio,
)

__all__ = ["twilio"]  # the Twilio stand-in's fixture, shared by name

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
    # Five charts of calls, and whether calls helped (asked after PASS, then hung up).
    assert page.locator("svg[role=img]").count() == 6
    helped = page.locator("#helped-desc").text_content()
    assert helped == "Scotland: PASS: asked 40, answered 0, said yes 0. "
    checked(page, "dashboard")
    page.goto(f"{server}/staff/calls")
    assert page.locator("tbody tr").count() == 50
    checked(page, "calls")
    page.goto(f"{server}/staff/flow")
    if shutil.which("dot"):
        assert page.locator("figure svg").count() == 1
    checked(page, "flow")
    page.close()


def test_nurses_and_voicemails_in_a_browser(
    tmp_path: Path, browser: object, twilio: TwilioStandIn
) -> None:
    """A nurse added (a wrong number first, the error read out and linked to its field), turned
    off today; voicemails played (the practice stand-in in the page's player, a real one from
    the Twilio stand-in) and marked done: axe finds nothing and the policy refuses nothing."""
    store = Store(f"sqlite:///{tmp_path}/team.sqlite3", SECRET)
    store.upgrade()
    store.add_staff("sam", PASSWORD)
    store.add_nurse("Ann", "+447700900123", "Mon-Fri 08:00-20:00")
    real = left(store, CALL, FIRST)
    left(store, OTHER_CALL, SECOND, practice=True)
    settings = {
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE_URL": twilio.base_url,
    }
    app = create_app({**ENV, **settings}, store=store, development=True)
    with served(app) as base:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.add_init_script(REFUSALS)
        page.goto(f"{base}/staff/nurses/")
        page.get_by_label("Name").fill("sam")
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{base}/staff/nurses/"
        checked(page, "nurses")
        assert "ending 123" in page.content() and "+447700900123" not in page.content()

        page.get_by_label("Name").fill("Ben")
        page.get_by_label("Number").fill("07700 900456")
        page.get_by_label("Hours").fill("always")
        with page.expect_navigation():
            page.get_by_label("Hours").press("Enter")
        alert = page.get_by_role("alert")
        assert "E.164 form" in alert.inner_text()
        assert page.get_by_label("Number").get_attribute("aria-invalid") == "true"
        checked(page, "nurses-error")
        alert.get_by_role("link").first.click()  # the error leads to its field
        assert page.evaluate("document.activeElement.id") == "number"
        page.keyboard.type("+447700900456")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert [n.name for n in store.list_nurses()] == ["Ann", "Ben"]
        assert "ending 456" in page.content()
        with page.expect_navigation():
            page.get_by_role("button", name="Turn Ben off today").click()
        assert page.get_by_role("button", name="Turn Ben back on").count() == 1
        checked(page, "nurses-off")

        page.get_by_role("link", name="Voicemails").click()
        page.wait_for_url(f"{base}/staff/voicemails/")
        checked(page, "voicemails")
        # The practice player loads the stand-in through the page's own security policy.
        seconds = page.evaluate(PLAY_LAST)
        assert seconds == pytest.approx(1.0, abs=0.05)
        fetched = page.request.get(f"{base}/staff/voicemails/{real}/recording")
        assert (fetched.status, fetched.body()) == (200, AUDIO)
        done = page.get_by_role("button", name=re.compile(r"^Mark the practice voicemail"))
        done.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Practice voicemails" not in page.content()
        assert "1 waiting, oldest first." in page.content()
        checked(page, "voicemails-done")

        page.get_by_role("link", name="Dashboard").click()
        page.wait_for_url(f"{base}/staff/dashboard")
        assert "1 waiting; the oldest left" in page.content()
        checked(page, "dashboard-team")
        page.close()
    store.close()


# Loads the page's last player and waits for its length, in seconds.
PLAY_LAST = """async () => {
  const players = document.querySelectorAll("audio");
  const player = players[players.length - 1];
  const known = new Promise((resolve, reject) => {
    player.addEventListener("loadedmetadata", () => resolve(player.duration), {once: true});
    player.addEventListener("error", () => reject(new Error("the player failed")), {once: true});
  });
  player.preload = "auto";
  player.load();
  return await known;
}"""
