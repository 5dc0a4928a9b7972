"""Callers and nurses in simulated time: who was answered, how long they waited, who was told
their place, call backs booked, and whether any nurse was rung while on a call.

Run it from the project folder (a few seconds):
    .venv/bin/python benchmarks/nurse_team.py                      # 20 callers, 3 nurses
    .venv/bin/python benchmarks/nurse_team.py --callers 50 --nurses 4 --ring turn
    .venv/bin/python benchmarks/nurse_team.py --url "$TEST_DATABASE_URL"   # on PostgreSQL

It builds the helpline with `ivr.create_app` on a new SQLite file (or a PostgreSQL database of
its own with --url: the role needs CREATEDB), puts the nurses on the rota, and plays Twilio's
side of every call in simulated time, through the real webhooks with signed requests: callers
arrive over --spread minutes and press 0; a <Dial> rings nurses (one of those rung answers,
or, one time in --miss, nobody does); a call lasts 4 to 12 minutes; a queued caller's wait URL
is asked after each pause the helpline sets, with QueueTime; a caller whose patience runs out
(5 to 20 minutes) presses 1 for a call back and books it on their own number; every leg and
call ends with its status callback. The simulation knows which nurse is on which call, so it
counts every <Number> that rings a nurse already talking (the goal: none).
Nothing here is a test: the figures depend on the seed (--seed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import itertools
import logging
import random
import secrets
import statistics
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.store import Store

TOKEN = "benchmark-auth-token"
SECRET = "benchmark-secret"
START = 1_764_000_000.0  # the simulated clock's first second (a weekday, in UTC)


class SimClock:
    """The time the helpline and its store go by: the simulation's."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(START + self.seconds, dt.UTC)


@dataclass
class Caller:
    """One simulated caller and what happened to them."""

    index: int
    sid: str
    number: str
    patience: float
    arrived: float = 0.0
    queued_at: float | None = None
    answered_at: float | None = None
    told_place: bool = False
    booked: bool = False
    outcome: str = "waiting"
    wait_url: str = ""
    action_url: str = ""


@dataclass
class World:
    """Twilio's side: the helpline, the nurses' phones, and the events to come."""

    client: FlaskClient
    base: str
    validator: RequestValidator
    clock: SimClock
    rng: random.Random
    miss: int
    events: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    on_call: dict[str, str] = field(default_factory=dict)  # nurse number -> caller sid
    rung_busy: int = 0
    webhooks: int = 0
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def at(self, when: float, what: Callable[[], None]) -> None:
        heapq.heappush(self.events, (when, next(self.counter), what))

    def post(self, url: str, caller: Caller, **params: str) -> ET.Element:
        """A signed webhook for this caller's call, as Twilio sends it; the TwiML, parsed."""
        form = {"CallSid": caller.sid, "From": caller.number, "To": "+442079460999", **params}
        split = urlsplit(url)
        path = f"{split.path}?{split.query}" if split.query else split.path
        signature = self.validator.compute_signature(self.base + path, form)
        response = self.client.post(path, data=form, headers={"X-Twilio-Signature": signature})
        self.webhooks += 1
        assert response.status_code == 200, (path, response.status_code)
        return ET.fromstring(response.get_data(as_text=True))

    def run(self) -> None:
        while self.events:
            when, _, what = heapq.heappop(self.events)
            self.clock.seconds = when
            what()


def said(root: ET.Element) -> str:
    return " ".join(" ".join(e.itertext()) for e in root.iter("Say"))


class Simulation:
    """The callers' journeys, event by event."""

    def __init__(self, world: World) -> None:
        self.world = world

    def arrive(self, caller: Caller) -> None:
        caller.arrived = self.world.clock.seconds
        self.world.post("/voice/incoming", caller)
        self.answer(caller, self.world.post("/voice/step?n=main", caller, Digits="0"))

    def answer(self, caller: Caller, root: ET.Element) -> None:
        """Act on what the helpline answered: ring, queue, or the choices (a call back)."""
        if root.find("Dial") is not None:
            self.ring(caller, root)
        elif root.find("Enqueue") is not None:
            enqueue = root.find("Enqueue")
            assert enqueue is not None
            caller.queued_at = caller.queued_at or self.world.clock.seconds
            caller.wait_url, caller.action_url = enqueue.attrib["waitUrl"], enqueue.attrib["action"]
            self.world.at(self.world.clock.seconds, lambda: self.wait(caller))
        elif root.find("Leave") is not None:
            left = self.world.post(caller.action_url, caller, QueueResult="leave")
            self.answer(caller, left)
        else:
            self.ask_for_call_back(caller, root)

    def ring(self, caller: Caller, root: ET.Element) -> None:
        dial = root.find("Dial")
        assert dial is not None
        numbers = [n.text or "" for n in dial.iter("Number")]
        self.world.rung_busy += sum(1 for n in numbers if n in self.world.on_call)
        action = dial.attrib["action"]
        free = [n for n in numbers if n not in self.world.on_call]
        if not free or self.world.rng.randrange(self.world.miss) == 0:
            self.end_legs(caller, dial, "no-answer")
            self.answer(caller, self.world.post(action, caller, DialCallStatus="no-answer"))
            return
        nurse = self.world.rng.choice(free)
        self.world.on_call[nurse] = caller.sid
        caller.answered_at = self.world.clock.seconds
        caller.outcome = "answered"
        self.end_legs(caller, dial, "canceled", keep=nurse)
        talk = self.world.rng.uniform(4 * 60, 12 * 60)
        self.world.at(self.world.clock.seconds + talk, lambda: self.hang_up(caller, dial, nurse))

    def hang_up(self, caller: Caller, dial: ET.Element, nurse: str) -> None:
        del self.world.on_call[nurse]
        for number in dial.iter("Number"):
            if number.text == nurse:
                self.world.post(
                    number.attrib["statusCallback"],
                    caller,
                    CallStatus="completed",
                    ParentCallSid=caller.sid,
                )
        self.world.post(
            dial.attrib["action"], caller, DialCallStatus="completed", DialBridged="true"
        )
        self.world.post("/voice/status", caller, CallStatus="completed", CallDuration="600")

    def end_legs(self, caller: Caller, dial: ET.Element, status: str, keep: str = "") -> None:
        for number in dial.iter("Number"):
            if number.text != keep:
                self.world.post(
                    number.attrib["statusCallback"],
                    caller,
                    CallStatus=status,
                    ParentCallSid=caller.sid,
                )

    def wait(self, caller: Caller) -> None:
        if caller.outcome != "waiting":
            return
        assert caller.queued_at is not None
        waited = self.world.clock.seconds - caller.queued_at
        if waited >= caller.patience:
            key = self.world.post("/voice/queue/key?n=nurse", caller, Digits="1")
            if key.find("Leave") is not None:
                self.answer(caller, self.world.post(caller.action_url, caller, QueueResult="leave"))
                return
        root = self.world.post(caller.wait_url, caller, QueueTime=str(int(waited)))
        if "in the queue" in said(root):
            caller.told_place = True
        if root.find("Leave") is not None:
            left = self.world.post(
                caller.action_url, caller, QueueResult="leave", QueueTime=str(int(waited))
            )
            self.answer(caller, left)
            return
        pause = sum(int(p.attrib.get("length", "1")) for p in root.iter("Pause")) or 1
        self.world.at(self.world.clock.seconds + pause + 2, lambda: self.wait(caller))

    def ask_for_call_back(self, caller: Caller, root: ET.Element) -> None:
        """At the choices (or the call-back questions): book a call back on this number."""
        for _ in range(4):
            gather = root.find("Gather")
            if gather is None or caller.booked:
                break
            text_said = said(root)
            if "booked" in text_said or "already with the nurses" in text_said:
                caller.booked = True
                break
            root = self.world.post(gather.attrib["action"], caller, Digits="1")
        caller.booked = caller.booked or "booked" in said(root)
        caller.outcome = "call back" if caller.booked else "other"
        self.world.post("/voice/status", caller, CallStatus="completed", CallDuration="300")


def _database(url: str | None) -> tuple[str, Callable[[], None]]:
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="ivr-team-"))
        return f"sqlite:///{folder / 'team.sqlite3'}", lambda: None
    name = f"ivr_team_{secrets.token_hex(4)}"
    admin = create_engine(
        make_url(url).set(drivername="postgresql+psycopg"),
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return make_url(url).set(database=name).render_as_string(False), drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=20)
    parser.add_argument("--nurses", type=int, default=3)
    parser.add_argument("--ring", choices=("all", "turn"), default="all")
    parser.add_argument("--spread", type=float, default=20.0, help="minutes callers arrive over")
    parser.add_argument("--miss", type=int, default=10, help="1 in N rings nobody answers")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--url", help="a PostgreSQL server's URL (default: a new SQLite file)")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    database, drop = _database(args.url)
    clock = SimClock()
    store = Store(database, SECRET, clock=clock)
    store.upgrade()
    for n in range(args.nurses):
        store.add_nurse(f"Nurse {n + 1}", f"+44207946{n + 300:04d}", "always")
    env = {
        "TWILIO_AUTH_TOKEN": TOKEN,
        "SECRET_KEY": SECRET,
        "NURSE_LINE_HOURS": "always",
        "NURSE_LINE_HOLIDAYS": "none",
        "PUBLIC_BASE_URL": "http://localhost",
        "PROMPT_AUDIO": "say",
        "DATABASE_URL": database,
        "NURSE_RING": args.ring,
        "SERVICE_RUN_BY": "the helpline team",
        "NURSE_LINE_NUMBER": "+442079460999",
    }
    app = create_app(env, clock=clock, store=store)
    rng = random.Random(args.seed)
    world = World(
        app.test_client(), "http://localhost", RequestValidator(TOKEN), clock, rng, args.miss
    )
    sim = Simulation(world)
    callers = [
        Caller(i, f"CA{i + 1:032x}", f"+44207946{i + 100:04d}", rng.uniform(5 * 60, 20 * 60))
        for i in range(args.callers)
    ]
    for caller in callers:
        world.at(rng.uniform(0, args.spread * 60), lambda c=caller: sim.arrive(c))
    world.run()
    store.close()
    drop()
    report(args, callers, world)
    return 1 if world.rung_busy else 0


def report(args: argparse.Namespace, callers: list[Caller], world: World) -> None:
    answered = [c for c in callers if c.answered_at is not None]
    waits = sorted((c.answered_at or 0) - (c.queued_at or c.arrived) for c in answered)
    queued = [c for c in callers if c.queued_at is not None]
    p90 = statistics.quantiles(waits, n=10, method="inclusive")[-1] if len(waits) > 1 else 0.0
    print(
        f"Nurse line, {args.callers} callers and {args.nurses} nurses (ring {args.ring}, "
        f"seed {args.seed}), {world.webhooks} signed webhooks in simulated time"
    )
    print(f"  callers answered by a nurse:   {len(answered)} of {len(callers)}")
    print(f"  waited in the queue:           {len(queued)}")
    print(
        f"  wait to be answered (median):  {statistics.median(waits) / 60 if waits else 0:.1f} min"
    )
    print(f"  wait to be answered (p90):     {p90 / 60:.1f} min")
    print(
        f"  told their place in the queue: {sum(c.told_place for c in callers)} "
        f"(of {len(queued)} who queued)"
    )
    print(f"  call backs booked:             {sum(c.booked for c in callers)}")
    print(f"  nurses rung while on a call:   {world.rung_busy} (goal: 0)")


if __name__ == "__main__":
    raise SystemExit(main())
