"""/phone in Chromium playing a team of nurses, a queue and a voicemail from the stand-in's
literal TwiML (tests/test_phone_queue.py), served beside the helpline's own webhooks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from ivr import create_app
from ivr.csrf import csrf
from tests.conftest import CHROMIUM, ENV, served
from tests.test_phone_browser import Watch, lines, wait_to_hear
from tests.test_phone_queue import NURSES, stand_in

PREFIX = "/voice/stand-in"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The helpline in development mode, with the stand-in's documents under PREFIX."""
    folder = tmp_path_factory.mktemp("queue")
    env = {**ENV, "DATABASE_URL": f"sqlite:///{folder}/phone.sqlite3"}
    app: Flask = create_app(env, development=True)
    app.register_blueprint(csrf.exempt(stand_in(PREFIX)))  # Twilio's requests carry no token
    with served(app) as base:
        yield base


def call(browser: Any, server: str, start: str, query: str = "", page: Any = None) -> Any:
    """Open the phone with its first request pointed at a stand-in document, and call."""
    page = page or browser.new_page(bypass_csp=True)

    def point(route: Any) -> None:
        page_html = route.fetch().text()
        assert '"incoming": "/voice/incoming"' in page_html
        body = page_html.replace('"incoming": "/voice/incoming"', f'"incoming": "{PREFIX}/{start}"')
        route.fulfill(body=body, content_type="text/html; charset=utf-8")

    page.route(f"{server}/phone?*", point)
    page.route(f"{server}/phone", point)
    page.goto(f"{server}/phone?{query}")
    page.get_by_role("button", name="Call the helpline").click()
    return page


def sent(watch: Watch, path: str) -> list[dict[str, Any]]:
    """What the page asked the bridge to send to `path`, in order."""
    bodies = [r.request.post_data_json for r in watch.bridge]
    return [b for b in bodies if b["url"].split("?")[0].endswith(path)]


def test_in_the_queue_the_place_is_shown_and_a_key_leaves_it(server: str, browser: Any) -> None:
    """From place 3, two simulated minutes pass at once, each place is heard and shown, and 1
    leaves the queue: the queue's action hears QueueResult=leave."""
    page = browser.new_page(bypass_csp=True)
    watch = Watch(page)
    call(browser, server, "busy", "keys=.2m+1&place=3", page)
    wait_to_hear(page, "Left: leave after", 0, timeout=30_000)
    assert [line for line in lines(page) if line.startswith("Queue:")] == [
        "Queue: You wait in the queue, at place 3.",
        "Queue: Place 3, waited 0 s.",
        "Queue: Place 2, waited 1 min.",
        "Queue: Place 1, waited 2 min.",
        "Queue: Out of the queue after 2 min (leave).",
    ]
    heard = lines(page, "heard")
    assert "Helpline: You are number 2 in the queue." in heard
    waits = [b["inputs"] for b in sent(watch, "/queue/wait")]
    assert [w["QueuePosition"] for w in waits] == ["3"] * 4 + ["2"] * 4 + ["1"]
    assert [int(w["QueueTime"]) for w in waits] == [0, 19, 35, 51, 67, 87, 103, 119, 135]
    (key,) = sent(watch, "/queue/key")
    assert key["inputs"]["Digits"] == "1" and key["inputs"]["QueuePosition"] == "1"
    (left,) = sent(watch, "/queue/left")
    assert left["inputs"]["QueueResult"] == "leave"
    assert left["inputs"]["QueueSid"] == waits[0]["QueueSid"]
    assert "place=3" in (page.locator("#share").get_attribute("href") or "")
    page.close()


def test_hanging_up_in_the_queue_tells_its_action(server: str, browser: Any) -> None:
    """Hanging up while waiting: the queue's action hears hangup, then the call's status."""
    page = browser.new_page(bypass_csp=True)
    watch = Watch(page)
    call(browser, server, "busy", "", page)
    page.locator("#transcript li", has_text="Place 1, waited 0 s.").wait_for()
    page.get_by_role("button", name="Hang up").click()
    page.wait_for_function("document.getElementById('status').textContent === 'Call ended.'")
    page.wait_for_timeout(500)
    urls = [r.request.post_data_json["url"] for r in watch.bridge]
    paths = [urlsplit(url).path for url in urls]
    assert paths[-2:] == [f"{PREFIX}/queue/left", "/voice/status"]
    assert sent(watch, "/queue/left")[0]["inputs"]["QueueResult"] == "hangup"
    page.close()


def test_a_message_without_a_microphone_sends_the_stand_in(server: str, browser: Any) -> None:
    """No microphone: the message is timed, # ends it, the action hears the stand-in recording
    and then the recording's status callback is sent."""
    page = browser.new_page(bypass_csp=True)
    watch = Watch(page)
    call(browser, server, "voicemail", "", page)
    page.locator("#status", has_text="no microphone here").wait_for()
    page.wait_for_timeout(2200)
    page.keyboard.press("#")
    wait_to_hear(page, "Saved", 0)
    (saved,) = sent(watch, "/voicemail/saved")
    (status,) = sent(watch, "/voicemail/recording")
    seconds = saved["inputs"]["RecordingDuration"]
    assert seconds in ("2", "3")  # as long as the tester took, give or take a busy machine
    assert f"You: recorded a {seconds} s message, then pressed hash." in lines(page, "pressed")
    assert f"Helpline: Saved {seconds} seconds." in lines(page, "heard")
    assert saved["inputs"]["RecordingSid"] == status["inputs"]["RecordingSid"]
    assert saved["inputs"]["Digits"] == "#"
    assert status["leg"] == "recording"
    urls = [r.request.post_data_json["url"] for r in watch.bridge]
    assert urls.index(saved["url"]) < urls.index(status["url"])
    page.close()


def test_a_message_from_the_microphone_stays_in_the_page(server: str, browser: Any) -> None:
    """With a microphone (Chromium's fake one) the message is recorded and played back from
    the page itself; the helpline hears only of the stand-in clip."""
    with_mic = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
        ],
    )
    try:
        context = with_mic.new_context(bypass_csp=True, permissions=["microphone"])
        page = context.new_page()
        watch = Watch(page)
        call(with_mic, server, "voicemail", "", page)
        page.locator("#status", has_text="from the microphone").wait_for()
        page.wait_for_timeout(1500)
        page.keyboard.press("#")
        wait_to_hear(page, "Saved", 0)
        recorded = page.locator("#transcript li.pressed", has_text="recorded a")
        assert "stays in this page only" in recorded.text_content()
        src = recorded.locator("audio").get_attribute("src") or ""
        assert src.startswith("blob:")
        (saved,) = sent(watch, "/voicemail/saved")
        assert "RecordingUrl" not in saved["inputs"]  # the bridge gives the stand-in's
    finally:
        with_mic.close()


def test_two_nurses_rung_at_once_each_leg_reported(server: str, browser: Any) -> None:
    """A Dial of two Numbers: both named by their last digits only, the first takes the call,
    and each leg's status callback is sent as the leg's own call before the Dial's action."""
    page = browser.new_page(bypass_csp=True)
    watch = Watch(page)
    call(browser, server, "team", "dial=answered", page)
    wait_to_hear(page, "completed true.", 0, timeout=30_000)
    transfers = lines(page, "transfer")
    assert transfers[0] == "Transfer: Now ringing the number ending 101, the number ending 102."
    legs = sent(watch, "/nurse/status")
    assert [(b["to"], b["inputs"]["CallStatus"]) for b in legs] == [
        (NURSES[0], "completed"),
        (NURSES[1], "canceled"),
    ]
    (dialled,) = sent(watch, "/dialled")
    assert legs[0]["dialCallSid"] == dialled["inputs"]["DialCallSid"] != legs[1]["dialCallSid"]
    assert not any(NURSES[0] in line for line in lines(page))
    page.close()
