"""<Enqueue> on a practice call: a Twilio queue played with simulated time.

Twilio asks the `waitUrl` for a wait document (<Say>, <Play>, <Pause>, <Gather>, <Leave>,
<Redirect>, <Hangup>) and asks again each time one runs out; keys pressed in a wait <Gather> go to
its action, whose answer is a wait document too. <Leave/> ends the wait: Twilio then asks the
Enqueue's action (QueueResult=leave) and runs its answer as any other document.

Nobody else is in a practice queue, so the phone makes it up: the caller joins at the place the
tester chose, and the caller ahead of them is answered every `QUEUE_TURN` seconds. Pauses are not
slept: they count as simulated time (the phone is a test driver too), and QueueTime is measured
in it, so a test can wait eleven "minutes" at once.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from ivr.practice.driver import Next

if TYPE_CHECKING:
    from ivr.practice.twiml_reader import TwimlReader

QUEUE_TURN = 60  # seconds: one caller ahead is answered each simulated minute
_SPOKEN = frozenset({"Say", "Play", "Pause"})
_LEAVE = "leave"


def waited(seconds: float) -> str:
    """A wait for people: "40 s", "3 min"."""
    return f"{int(seconds)} s" if seconds < 60 else f"{int(seconds // 60)} min"


class QueueWait:
    """One caller waiting in one queue, from <Enqueue> to the request for its action."""

    def __init__(self, reader: TwimlReader, verb: ET.Element, url: str) -> None:
        self.reader = reader
        self.name = " ".join((verb.text or "").split())
        action = verb.get("action")
        self.action = Next(urljoin(url, action), verb.get("method", "POST").upper(), {})
        self.has_action = action is not None
        wait_url = verb.get("waitUrl")
        self.wait = Next(
            urljoin(url, wait_url or ""), verb.get("waitUrlMethod", "POST").upper(), {}
        )
        self.has_wait = wait_url is not None
        self.sid = "QU" + secrets.token_hex(16)
        self.joined = reader.seconds
        self.start_place = reader.phone.queue_place
        self.shown: tuple[int, int] | None = None  # the place and minute last shown
        self.done = False

    # --- what Twilio tells the helpline about the queue ------------------------------------

    @property
    def seconds(self) -> float:
        return self.reader.seconds - self.joined

    @property
    def place(self) -> int:
        return max(1, self.start_place - int(self.seconds // QUEUE_TURN))

    def params(self) -> dict[str, str]:
        """The queue's parameters with each request about the wait."""
        return {
            "QueueSid": self.sid,
            "QueuePosition": str(self.place),
            "QueueTime": str(int(self.seconds)),
            "AvgQueueTime": str(self.start_place * QUEUE_TURN),
            "CurrentQueueSize": str(self.place),
        }

    # --- the wait --------------------------------------------------------------------------

    def run(self, url: str) -> Next | None:
        """Wait until the helpline lets the caller go; the request for the Enqueue's action
        (None: no action, the document goes on; or the call has ended)."""
        reader = self.reader
        if not self.has_wait:
            reader.fail("<Enqueue> without a waitUrl: the caller would hear music for ever", url)
            return None
        reader.record("queue", self.name, url, {"place": str(self.place)})
        reader.waiting = self
        try:
            how = self._wait()
        finally:
            reader.waiting = None
        if how is None:
            return None  # the call ended while waiting: `left` told the action already
        return self.left(how)

    def _wait(self) -> str | None:
        """Run wait documents until one leaves (or the wait fails); how the wait ended."""
        reader = self.reader
        step = self.wait
        for _ in range(reader.phone.max_wait_turns):
            self._show()
            # Every request while waiting (a key's, a Redirect's) carries the queue's figures.
            params = reader.driver.params(step.extra | self.params())
            root = reader.driver.fetch(step.method, step.url, params)
            if reader.ended:
                return None
            if root is None:
                return "error"  # the wait URL failed: Twilio tells the action, and goes on
            found = self._document(root, step.url)
            if reader.ended:
                return None
            if found == _LEAVE:
                return _LEAVE
            step = found if isinstance(found, Next) else self.wait
        turns = reader.phone.max_wait_turns
        reader.record("error", f"still waiting after {turns} turns of the wait: stopped", step.url)
        reader.end("error")
        return None

    def _document(self, root: ET.Element, url: str) -> Next | str | None:
        """Run one wait document: the next request, "leave", or None when it runs out."""
        reader = self.reader
        for verb in root:
            if verb.tag in _SPOKEN or verb.tag == "Hangup":
                reader.verb(verb, url)
            elif verb.tag == "Leave":
                return _LEAVE
            elif verb.tag in ("Gather", "Redirect"):
                step = reader.verb(verb, url)
                if step is not None:
                    return step
            else:
                reader.fail(f"<{verb.tag}> cannot be used while waiting in a queue", url)
            if reader.ended:
                return None
        return None

    def _show(self) -> None:
        """A line for the place and time waited, when either has changed."""
        now = (self.place, int(self.seconds // 60))
        if now != self.shown:
            self.shown = now
            place, time = str(self.place), waited(self.seconds)
            text = f"place {place}, waited {time}"
            self.reader.record("wait", text, self.wait.url, {"place": place, "waited": time})

    def left(self, how: str) -> Next | None:
        """The caller is out of the queue: the request for the Enqueue's action, if any."""
        if self.done:
            return None
        self.done = True
        time = waited(self.seconds)
        self.reader.record("queue-left", how, self.action.url, {"waited": time})
        if not self.has_action:
            return None
        extra = {"QueueResult": how, "QueueSid": self.sid, "QueueTime": str(int(self.seconds))}
        return self.action._replace(extra=extra)

    def hung_up(self) -> None:
        """The call ended while waiting: Twilio still tells the action (its answer is ignored)."""
        step = self.left("hangup")
        if step is not None:
            self.reader.driver.notify(
                step.method, step.url, self.reader.driver.params(step.extra), "the queue's action"
            )
