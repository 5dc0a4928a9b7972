"""/phone in Chromium against the real helpline with a nurse on the rota, served on loopback:
the queue's announcements in the transcript and a key that leaves it, and a message left at the
closed line with the stand-in clip (headless Chromium has no microphone)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from ivr import create_app
from ivr.content.load import Content
from ivr.numbers import PRACTICE_CALLER
from ivr.store import Store
from tests.conftest import ENV, served, signed_post
from tests.test_phone_browser import Watch, count_heard, lines, wait_to_hear

ON_A_CALL = "CA" + "f" * 32  # a practice call holding the only nurse
AHEAD = "CA" + "e" * 32  # a practice caller who joined the queue first


@contextmanager
def helpline(folder: Path, **settings: str) -> Iterator[tuple[str, Store, Flask]]:
    """The real app in development mode on a database of its own, one nurse on the rota,
    served on loopback: its address, its store and the app."""
    database = f"sqlite:///{folder}/team.sqlite3"
    store = Store(database, ENV["SECRET_KEY"])
    try:
        store.upgrade()
        store.add_nurse("Nurse 1", "+442079460201", "always")
        env = {**ENV, "DATABASE_URL": database, **settings}
        app = create_app(env, development=True, store=store)
        with served(app) as base:
            yield base, store, app
    finally:
        store.close()


def skip_until(page: Any, selector: str, text: str, timeout: float = 30_000) -> None:
    """Press "Skip this prompt" until a transcript line (or the status) has `text`, so long
    prompts need not be waited through."""
    found = page.locator(selector, has_text=text)
    skip = page.get_by_role("button", name="Skip this prompt")
    for _ in range(int(timeout / 250)):
        if found.count():
            return
        if skip.is_enabled():
            skip.click()
        page.wait_for_timeout(250)
    found.first.wait_for(timeout=1)


def call_sid(watch: Watch) -> str:
    """The CallSid the page's call has."""
    sids = {r.request.post_data_json["callSid"] for r in watch.bridge}
    (sid,) = sids
    return str(sid)


def sent(watch: Watch, path: str) -> list[dict[str, Any]]:
    """What the page asked the bridge to send to `path`, in order."""
    bodies = [r.request.post_data_json for r in watch.bridge]
    return [b for b in bodies if b["url"].split("?")[0].endswith(path)]


def test_the_queue_is_heard_and_shown_and_2_leaves_it_for_the_guidance(
    tmp_path: Path, browser: Any, content: Content
) -> None:
    """The nurse is on another practice call and a practice caller waits already: after 0 the
    page joins the queue at the place chosen (2), the helpline's place and expected wait are
    heard, and 2 leaves the queue for the main menu; the store says the caller left for the
    guidance and the caller ahead still waits, first."""
    with helpline(tmp_path) as (server, store, app):
        assert store.claim_nurses(ON_A_CALL, ["p:n:1"]) == ["p:n:1"]
        status, _, body = signed_post(
            app.test_client(),
            "/voice/step?n=main",
            {"CallSid": AHEAD, "From": PRACTICE_CALLER, "Digits": "0"},
        )
        assert status == 200 and "<Enqueue" in body, body
        page = browser.new_page(bypass_csp=True)
        watch = Watch(page)
        page.goto(f"{server}/phone?keys=0&place=2")
        page.get_by_role("button", name="Call the helpline").click()
        skip_until(page, "#transcript li.heard", "You are number 2 in the queue.")
        wait_to_hear(page, "The wait is about 2 minutes.", 0)
        choices = content.prompts["main.choices"].spoken
        before = count_heard(page, choices)
        page.keyboard.press("2")
        wait_to_hear(page, choices, before)
        queue = [line for line in lines(page) if line.startswith("Queue:")]
        assert queue[0] == "Queue: You wait in the queue, at place 2."
        assert queue[-1].endswith("(leave).")
        heard = lines(page, "heard")
        assert f"Helpline: {content.prompts['queue.joined'].spoken}" in heard
        (key,) = sent(watch, "/voice/queue/key")
        assert key["inputs"]["Digits"] == "2"
        (left,) = sent(watch, "/voice/queue/left")
        assert left["inputs"]["QueueResult"] == "leave"
        entry = store.queued_call(call_sid(watch))
        assert entry is not None and entry.left_how == "guidance"
        assert store.queue_position(AHEAD) == 1
        page.close()


def test_a_message_at_the_closed_line_is_the_stand_in_clip_and_is_saved(
    tmp_path: Path, browser: Any, content: Content
) -> None:
    """The line closed: 0 then 2 lead to the message; with no microphone the page times the
    stand-in clip, # ends it, the caller hears it is saved, and staff's list has it: a practice
    message with the recording sid and the length the page sent."""
    with helpline(tmp_path, NURSE_LINE_HOURS="never") as (server, store, _app):
        page = browser.new_page(bypass_csp=True)
        watch = Watch(page)
        page.goto(f"{server}/phone?keys=0+2")
        page.get_by_role("button", name="Call the helpline").click()
        skip_until(page, "#status", "no microphone here")
        page.wait_for_timeout(2200)
        page.keyboard.press("#")
        saved = content.prompts["voicemail.saved"].spoken
        wait_to_hear(page, saved, 0)
        heard = lines(page, "heard")
        assert f"Helpline: {content.prompts['voicemail.intro'].spoken}" in heard
        (action,) = sent(watch, "/voice/voicemail/saved")
        (status,) = sent(watch, "/voice/voicemail/recording")
        seconds = action["inputs"]["RecordingDuration"]
        assert seconds in ("2", "3")  # as long as the tester took, give or take a busy machine
        assert f"You: recorded a {seconds} s message, then pressed hash." in lines(page, "pressed")
        assert status["inputs"]["RecordingSid"] == action["inputs"]["RecordingSid"]
        (voicemail,) = store.open_voicemails()
        assert voicemail.call_sid == call_sid(watch)
        assert voicemail.recording_sid == action["inputs"]["RecordingSid"]
        assert (voicemail.duration_seconds, voicemail.practice) == (int(seconds), True)
        page.close()
