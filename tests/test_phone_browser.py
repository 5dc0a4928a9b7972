"""/phone in a real Chromium: a whole call by keyboard, checked against what the webhooks said."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from ivr import create_app
from tests.conftest import ENV, no_violations, served

GATHER_TIMEOUT = 5  # the shortest the settings allow, so the silence test waits less


@pytest.fixture(scope="module")
def helpline(tmp_path_factory: pytest.TempPathFactory, rendered: Path) -> Flask:
    """The helpline as `ivr serve` runs it, playing the rendered prompts."""
    folder = tmp_path_factory.mktemp("phone")
    env = {
        **ENV,
        "DATABASE_URL": f"sqlite:///{folder}/phone.sqlite3",
        "PROMPT_AUDIO": "auto",
        "AUDIO_DIR": str(rendered),
        "GATHER_TIMEOUT": str(GATHER_TIMEOUT),
    }
    return create_app(env, development=True)


@pytest.fixture(scope="module")
def server(helpline: Flask) -> Iterator[str]:
    with served(helpline) as base:
        yield base


# The page's Content-Security-Policy forbids evaluating strings, which Playwright's
# wait_for_function and axe-core need: those tests set bypass_csp, and one test runs without it.


class Watch:
    """What the page asked the bridge and the audio it fetched, in order."""

    def __init__(self, page: Any) -> None:
        self.bridge: list[Any] = []
        self.audio: list[Any] = []
        page.on("response", self.seen)

    def seen(self, response: Any) -> None:
        if response.url.endswith("/phone/bridge"):
            self.bridge.append(response)
        elif "/audio/" in response.url:
            self.audio.append(response)

    def answers(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.bridge]


def lines(page: Any, kind: str = "") -> list[str]:
    selector = f"#transcript li.{kind}" if kind else "#transcript li"
    return [" ".join(t.split()) for t in page.locator(selector).all_text_contents()]


def count_heard(page: Any, text: str) -> int:
    return sum(text in line for line in lines(page, "heard"))


def wait_to_hear(page: Any, text: str, before: int, timeout: float = 15_000) -> None:
    """Wait until the helpline says `text` once more than `before` times."""
    page.wait_for_function(
        """([text, before]) => [...document.querySelectorAll('#transcript li.heard')]
             .filter((li) => li.textContent.includes(text)).length > before""",
        arg=[text, before],
        timeout=timeout,
    )


def press(page: Any, key: str, then_hear: str) -> None:
    """Press a key on the computer's keyboard; the helpline answers with `then_hear`."""
    before = count_heard(page, then_hear)
    page.keyboard.press(key)
    wait_to_hear(page, then_hear, before)


def played_files(page: Any) -> list[str]:
    """The file name of every recording the transcript says was played, in order."""
    urls = page.locator("li[data-audio]").evaluate_all("items => items.map(i => i.dataset.audio)")
    return [Path(urlsplit(url).path).name for url in urls]


def expected_captions(answer: dict[str, Any]) -> list[str]:
    """What a caller hears from one TwiML answer, in order: <Say>'s words, <Play>'s captions."""
    root = ET.fromstring(answer["twiml"])
    heard = []
    for verb in root.iter():
        if verb.tag == "Say":
            heard.append(" ".join("".join(verb.itertext()).split()))
        elif verb.tag == "Play":
            heard.append(answer["captions"][(verb.text or "").strip()])
    return heard


def test_a_call_by_keyboard_through_the_walk_through_silence_pace_and_the_nurse_line(
    server: str, browser: Any, helpline: Flask
) -> None:
    """A whole call by keyboard: real recordings at their length, words as speech, star back,
    a countdown whose silence falls through, 9 for the slow recordings and a longer wait, and
    the nurse line rung, whispered to and taken; each caption is what a webhook answered."""
    page = browser.new_page(bypass_csp=True)
    watch = Watch(page)
    page.goto(f"{server}/phone")
    no_violations(page, "phone")

    # Tab from the top of the page to the call button, and press Enter.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "call":
            break
    assert page.evaluate("document.activeElement.textContent") == "Call the helpline"
    page.keyboard.press("Enter")
    wait_to_hear(page, "Welcome to the", 0)
    assert page.locator("#call").text_content() == "Hang up"

    # The welcome plays from a real recording, as long as the rendered file.
    audio = helpline.extensions["ivr"].audio
    hello = audio.recordings[("welcome.hello", "normal")]
    page.wait_for_function("document.getElementById('speaker').readyState >= 2")
    speaker = page.evaluate(
        "(() => { const a = document.getElementById('speaker');"
        " return {src: a.currentSrc, duration: a.duration}; })()"
    )
    assert speaker["src"].endswith(f"/audio/{hello.file}")
    assert speaker["duration"] == pytest.approx(hello.seconds, abs=0.05)

    # Words instead of a key, then keys into the walk-through, and back out with star.
    page.get_by_label("Say something instead of pressing a key").fill("reasons")
    page.keyboard.press("Enter")
    wait_to_hear(page, "To answer five yes or no questions", 0)
    page.locator("#call").focus()  # away from the text box, so keys go to the keypad
    press(page, "1", "Question 1. Are you unsure about the diagnosis?")
    press(page, "1", "Question 2.")
    press(page, "*", "Question 1. Are you unsure about the diagnosis?")
    press(page, "*", "To answer five yes or no questions")

    # Silence: once the prompt is over a countdown runs, and at 0 the Gather falls through.
    for _ in range(5):
        if page.locator("#countdown").is_visible():
            break
        page.get_by_role("button", name="Skip this prompt").click()
        page.wait_for_timeout(300)
    first = page.locator("#countdown").text_content()
    assert first in {f"Waiting for you: {n} s" for n in range(GATHER_TIMEOUT, 0, -1)}
    page.wait_for_timeout(1100)
    second = page.locator("#countdown").text_content()
    assert int(second.split()[-2]) < int(first.split()[-2])
    page.wait_for_function(
        "[...document.querySelectorAll('#transcript li.note')]"
        ".some(l => l.textContent === '(silence)')",
        timeout=(GATHER_TIMEOUT + 3) * 1000,
    )
    # The helpline speaks again, from the request the Redirect after the Gather made.
    number = page.wait_for_function(
        """() => {
          const items = [...document.querySelectorAll('#transcript li')];
          const silence = items.findLastIndex((l) => l.textContent === '(silence)');
          const next = items.slice(silence + 1).find((l) => l.classList.contains('heard'));
          return next ? Number(next.dataset.request) : 0;
        }"""
    ).json_value()
    page.wait_for_timeout(200)  # the response event reaches Python just after the page has it
    after_silence = watch.bridge[number - 1].request.post_data_json
    assert after_silence["inputs"] == {}  # no Digits, no speech: the Gather timed out

    # Pace: 9 switches to the slow recordings for the rest of the call.
    normal = {r.file for (_, pace), r in audio.recordings.items() if pace == "normal"}
    slow = {r.file for (_, pace), r in audio.recordings.items() if pace == "slow"}
    played = played_files(page)
    assert played and set(played) <= normal
    press(page, "9", "I will speak more slowly from now on")
    press(page, "2", "Here are five common ones")
    played_after = played_files(page)[len(played) :]
    assert played_after and set(played_after) <= slow
    # At the slower pace the page waits longer for a key, as the Gather says: 12 s, not 5.
    for _ in range(5):
        if page.locator("#countdown").is_visible():
            break
        page.get_by_role("button", name="Skip this prompt").click()
        page.wait_for_timeout(300)
    slow_wait = int((page.locator("#countdown").text_content() or "").split()[-2])
    assert GATHER_TIMEOUT < slow_wait <= 12

    # The nurse line: ringing, the whisper, the nurse takes the call.
    page.keyboard.press("0")
    page.wait_for_function(
        "document.getElementById('status').textContent === 'Call ended.'", timeout=30_000
    )
    transfers = lines(page, "transfer")
    assert transfers[0] == "Transfer: Now ringing the nurse line."
    assert "Transfer: The nurse line presses 1 to take the call." in transfers
    whispers = lines(page, "whisper")
    assert whispers and "To take the call, press 1" in whispers[0]
    assert lines(page)[-1] == "Call ended."
    no_violations(page, "phone-after-a-call")

    # Every caption is what a webhook answered, in order; a key may cut a document short.
    last = page.locator("[data-request]").evaluate_all(
        "items => Math.max(...items.map((i) => Number(i.dataset.request)))"
    )
    for _ in range(50):  # response events reach Python just after the page has them
        if len(watch.bridge) >= last:
            break
        page.wait_for_timeout(100)
    answers = watch.answers()
    assert len(answers) >= last
    assert all(a["status"] == 200 for a in answers)
    for number, answer in enumerate(answers, start=1):
        shown = page.locator(f"li.heard[data-request='{number}']").all_text_contents()
        shown = [" ".join(t.split()).removeprefix("Helpline: ") for t in shown]
        expected = expected_captions(answer)
        whisper = page.locator(f"li.whisper[data-request='{number}']").all_text_contents()
        if whisper:
            # The nurse pressed 1 during the whisper's Gather: they heard it up to there.
            said = " ".join(whisper[0].split()).removeprefix("Whisper to the nurse line: ")
            assert said.endswith("To take the call, press 1.")
            assert " ".join(expected).startswith(said)
            continue
        assert shown == expected[: len(shown)], (number, answer["url"])
        assert shown or not expected, (number, answer["url"])
    # The audio the page fetched was real audio from the helpline.
    fetched = [r for r in watch.audio if r.status in (200, 206)]
    assert fetched
    assert all(r.headers["content-type"] == "audio/wav" for r in fetched)

    # The link to replay this call holds what was pressed and said.
    share = page.get_by_role("link", name="Link to replay this call").get_attribute("href")
    query = parse_qs(urlsplit(share).query)
    assert query["keys"] == ['"reasons" 1 1 * * . 9 2 0']
    assert query["dial"] == ["answered"]
    page.close()


def test_a_shared_link_replays_the_keys_and_the_chosen_outcome(server: str, browser: Any) -> None:
    """A link's start code, keys and transfer outcome are set in the form and replayed, then the
    call goes on live."""
    page = browser.new_page(bypass_csp=True)
    page.goto(f"{server}/phone?start=20&keys=1+2+.+0&dial=busy")
    assert page.get_by_label("Busy").is_checked()
    assert page.get_by_label("Start at").input_value() == "20"
    page.get_by_role("button", name="Call the helpline").click()
    page.wait_for_function(
        "[...document.querySelectorAll('#transcript li.transfer')]"
        ".some(l => l.textContent.includes('busy'))",
        timeout=20_000,
    )
    pressed = lines(page, "pressed")
    assert pressed == ["You press: 1", "You press: 2", "You press: 0"]
    assert "(silence)" in lines(page, "note")
    heard = lines(page, "heard")
    assert heard[0].startswith("Helpline: You have been put through")
    assert "You are now in: Reasons, benefits and disadvantages." in heard[0]
    assert any(line.startswith("Helpline: I will ask you five short questions") for line in heard)
    # After the keys run out the call is live: the helpline's answer to a busy line plays.
    wait_to_hear(page, "Sorry, no nurse is free to take your call just now.", 0)
    page.get_by_role("button", name="Hang up").click()
    page.wait_for_function("document.getElementById('status').textContent === 'Call ended.'")
    page.close()


def test_on_a_phone_sized_screen_the_keys_are_large_and_nothing_scrolls_sideways(
    server: str, browser: Any
) -> None:
    """On a 360 px screen each key is at least 44 px square, the words playing now sit above the
    keypad, and nothing scrolls sideways, before or in a call."""
    page = browser.new_page(viewport={"width": 360, "height": 740}, bypass_csp=True)
    page.goto(f"{server}/phone")
    no_violations(page, "phone-small-screen")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for box in page.locator("#keypad button").evaluate_all(
        "buttons => buttons.map(b => b.getBoundingClientRect().toJSON())"
    ):
        assert box["width"] >= 44 and box["height"] >= 44
    # In a call, the words playing now sit just above the keypad, and nothing widens the page.
    page.get_by_role("button", name="Call the helpline").click()
    wait_to_hear(page, "Welcome to the", 0)
    now = page.locator("#now")
    assert now.text_content() == lines(page, "heard")[-1].removeprefix("Helpline: ")
    assert now.bounding_box()["y"] < page.locator("#keypad").bounding_box()["y"]
    page.keyboard.press("0")
    page.locator("#transcript li.transfer", has_text="Now ringing").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    no_violations(page, "phone-small-screen-in-a-call")
    page.get_by_role("button", name="Hang up").click()
    page.close()


def test_with_javascript_off_the_call_is_shown_as_text(server: str, browser: Any) -> None:
    """Without JavaScript the form runs the keys on the server and lists the call, each recording
    with a player; the same form sent from a page with JavaScript does the same."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/phone")
    assert not page.locator("#keypad").is_visible()
    assert page.locator("noscript p").first.inner_text().startswith("This phone needs JavaScript")
    page.get_by_label("Keys to press for you").fill("2 1 1")
    page.get_by_role("button", name="Show the call as text").click()
    page.wait_for_url("**/phone/transcript")
    assert lines(page, "pressed") == ["You press: 2", "You press: 1", "You press: 1"]
    assert any("Question 2." in line for line in lines(page, "heard"))
    # Each recording can be played from the page.
    assert page.locator("#transcript audio[controls]").count() == len(lines(page, "heard"))
    context.close()
    page = browser.new_page(bypass_csp=True)
    page.goto(f"{server}/phone?keys=2+1+1")
    page.evaluate("document.getElementById('call-form').submit()")  # the form as without JS
    page.wait_for_url("**/phone/transcript")
    assert lines(page, "pressed") == ["You press: 2", "You press: 1", "You press: 1"]
    no_violations(page, "phone-transcript")
    page.close()


def test_without_recordings_the_browser_speaks_each_say(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """With PROMPT_AUDIO=say the TwiML has <Say>: the page speaks it (or, with no voice, waits as
    long as speaking takes) and goes on, so the call flows as it would on Twilio's voice."""
    folder = tmp_path_factory.mktemp("say")
    env = {**ENV, "DATABASE_URL": f"sqlite:///{folder}/say.sqlite3", "PROMPT_AUDIO": "say"}
    with served(create_app(env, development=True)) as base:
        page = browser.new_page(bypass_csp=True)
        page.goto(f"{base}/phone")
        page.get_by_role("button", name="Call the helpline").click()
        # The welcome's parts follow one another with no key pressed.
        wait_to_hear(page, "If it is an emergency", 0, timeout=30_000)
        assert page.evaluate("document.getElementById('speaker').currentSrc") == ""
        press(page, "2", "To answer five yes or no questions")
        page.get_by_role("button", name="Hang up").click()
        page.wait_for_function("document.getElementById('status').textContent === 'Call ended.'")
        assert lines(page)[-2:] == ["You hang up.", "Call ended."]
        page.close()


def test_the_page_works_under_its_own_content_security_policy(server: str, browser: Any) -> None:
    """Nothing the page needs is refused by its policy (locators only: no string evaluation)."""
    page = browser.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{server}/phone")
    page.get_by_role("button", name="Call the helpline").click()
    page.locator("#transcript li.heard", has_text="Welcome to the").wait_for()
    page.locator("#transcript li.heard[data-audio]").first.wait_for()
    page.keyboard.press("2")
    page.locator("#transcript li.heard", has_text="To answer five yes or no questions").wait_for()
    page.get_by_role("button", name="Hang up").click()
    page.locator("#transcript li", has_text="Call ended.").wait_for()
    assert refused == []
    page.close()


def test_a_voicemail_is_not_put_through_and_the_caller_hears_why(server: str, browser: Any) -> None:
    """Answered but not taken: the whisper plays on to its goodbye and the call is not bridged."""
    page = browser.new_page(bypass_csp=True)
    page.goto(f"{server}/phone?keys=0&dial=declined")
    page.get_by_role("button", name="Call the helpline").click()
    wait_to_hear(page, "Sorry, no nurse is free to take your call just now.", 0, timeout=30_000)
    [whisper] = lines(page, "whisper")
    assert whisper.endswith(
        "To take the call, press 1. "
        "The call was not taken. The caller will hear other choices. Goodbye."
    )
    assert "Transfer: The nurse line answered but did not take the call." in lines(page, "transfer")
    page.get_by_role("button", name="Hang up").click()
    page.close()


def test_a_call_back_to_a_keyed_number_is_booked(
    server: str, browser: Any, helpline: Flask
) -> None:
    """Keys that end with # (a phone number) are sent together, and read back digit by digit."""
    page = browser.new_page(bypass_csp=True)
    watch = Watch(page)
    page.goto(f"{server}/phone?keys=0+1+2+02079460123%23+1&dial=no-answer")
    page.get_by_role("button", name="Call the helpline").click()
    wait_to_hear(page, "Thank you. Your call back is booked.", 0, timeout=45_000)
    sent = [r.request.post_data_json["inputs"].get("Digits") for r in watch.bridge]
    assert "02079460123" in sent  # one request with the whole number, without the #
    digits = [r for r in lines(page, "pressed") if r.startswith("You press:")]
    assert digits[-1] == "You press: 1"
    assert "".join(d.removeprefix("You press: ") for d in digits[3:-1]) == "02079460123hash"
    page.get_by_role("button", name="Hang up").click()
    page.close()
    store = helpline.extensions["ivr"].store
    booked = [c for c in store.open_callbacks() if c.number == "+442079460123"]
    assert len(booked) == 1


def test_hanging_up_while_the_nurse_hears_the_whisper_ends_the_call_there(
    server: str, browser: Any
) -> None:
    """A double click on Call places one call; hanging up mid-transfer leaves nothing after."""
    page = browser.new_page(bypass_csp=True)
    watch = Watch(page)
    page.goto(f"{server}/phone?keys=0&dial=answered")
    page.get_by_role("button", name="Call the helpline").dblclick()
    page.locator("#transcript li.transfer", has_text="Now ringing the nurse line.").wait_for()
    assert page.locator("#call").text_content() == "Hang up"  # the second click did not hang up
    page.get_by_role("button", name="Hang up").click()
    page.wait_for_function("document.getElementById('status').textContent === 'Call ended.'")
    page.wait_for_timeout(3000)  # longer than the ring: nothing of the call may follow
    assert lines(page)[-2:] == ["You hang up.", "Call ended."]
    assert not any("You are through" in line for line in lines(page, "transfer"))
    posted = [r.request.post_data_json["url"] for r in watch.bridge]
    assert posted[-1].endswith("/voice/status")
    assert not any("/voice/whisper" in url for url in posted)
    page.close()
