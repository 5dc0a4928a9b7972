"""Scripted calls against PostgreSQL: calls a second, rows written, journal figures, errors.

Run it from the project folder, with a PostgreSQL server (1,000 calls take seconds here):

    export TEST_DATABASE_URL=postgresql://ivr:ivr@127.0.0.1:5432/ivr_test
    .venv/bin/python benchmarks/calls.py
    .venv/bin/python benchmarks/calls.py --calls 200 --threads 8     # see --help

The URL is TEST_DATABASE_URL, else DATABASE_URL (or --url). The benchmark makes a database of
its own on that server (the role needs CREATEDB), migrates it, builds the helpline with
`ivr.create_app` and that DATABASE_URL, and rings it N times with `ivr.phone.Phone` (in-process,
signed as Twilio signs) from a few caller threads: a mix of menus, back and repeat, wrong keys,
silence, and transfers that are answered, busy or unanswered. Then it waits for the journal to be
written, counts the rows of every table, prints the figures, and drops its database
(--keep keeps it; --in-place uses the database as it is and counts the rows it added).

Where the app journals calls itself (app.extensions["ivr_store"]), its store is measured. Until
then a stand-in does the app's part after each call: from the requests the phone made, the same
journal events the webhooks will send (a start, a step per answer, a transfer's outcome, the
end), and a callback request for one caller in ten (one in fifty asks twice).

Errors are calls whose transcript has an error, callback requests that could not be stored, and
journal events dropped or failed; the run exits 1 if there are any. It stops starting new calls
after --max-seconds. Nothing here is a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import platform
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ivr import create_app
from ivr.phone import Phone, Transcript, parse_keys
from ivr.store import Store, StoreUnavailable
from ivr.store.database import sqlalchemy_url

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
CONFIG = {
    "TWILIO_AUTH_TOKEN": TOKEN,
    "SECRET_KEY": "bench-secret",
    "NURSE_LINE_NUMBER": "+441632960000",
    "NURSE_LINE_HOURS": "always",
    "CONTENT_DIR": str(ROOT),
    "PROXY_HOPS": "0",
    "PROMPT_AUDIO": "say",
    "LOG_LEVEL": "WARNING",
}
# (keys, what happens when the helpline rings a person): menus, back (*), repeat (#), wrong
# keys, silence, and the nurse line (0) answered, busy and not answered.
SCRIPTS: Sequence[tuple[str, str]] = (
    ("1 1 1", "answered"),
    ("2 1 1 2 1 2 1", "answered"),
    ("3 1 1 * # 2", "answered"),
    ("0", "answered"),
    ("0", "busy"),
    ("2 2 1 . 0", "no-answer"),
    ("7 7 7", "busy"),
    (". .", "answered"),
    ("1 2 1 1", "answered"),
    ("3 2 2", "failed"),
)


@dataclass
class Tally:
    """What the caller threads saw."""

    durations: list[float] = field(default_factory=list)
    webhooks: int = 0
    call_errors: list[str] = field(default_factory=list)
    booked: int = 0
    repeats: int = 0
    booking_failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def stand_in_journal(store: Store, transcript: Transcript, caller: str) -> None:
    """What the webhooks will journal once the store is wired in, from the phone's requests."""
    sid = transcript.call_sid
    path = [urlsplit(r.url).path.rsplit("/", 1)[-1] for r in transcript.requests]
    for n, request in enumerate(transcript.requests):
        here, there = path[n], path[n + 1] if n + 1 < len(path) else "end"
        if here == "incoming":
            store.call_started(sid, caller)
            store.call_step(sid, "new-call", "", there, "ask")
        elif here == "step":
            params = request.params
            heard = params.get("Digits") or ("speech" if params.get("SpeechResult") else "silence")
            store.call_step(sid, here, heard, there, "ask")
        elif here == "dial":
            outcome = request.params.get("DialCallStatus", "failed")
            store.transfer_ended(sid, "nurse", outcome)
            store.call_step(sid, here, f"dial:{outcome}", there, "ask")
        elif here == "status":
            duration = request.params.get("CallDuration", "")
            store.call_ended(sid, request.params.get("CallStatus", "completed"), int(duration or 0))


def run_calls(
    app: Flask, store: Store, wired: bool, calls: int, threads: int, max_seconds: float
) -> tuple[Tally, float]:
    """Ring the helpline `calls` times from `threads` callers; the tally and the seconds taken."""
    tally = Tally()
    numbers = itertools.count()
    deadline = time.monotonic() + max_seconds

    def caller() -> None:
        while time.monotonic() < deadline:
            with tally.lock:
                n = next(numbers)
            if n >= calls:
                return
            keys, outcome = SCRIPTS[n % len(SCRIPTS)]
            number = f"+4477009{n:05d}"
            phone = Phone(app, auth_token=TOKEN, caller=number, dial_outcome=outcome)
            began = time.perf_counter()
            transcript = phone.call(parse_keys(keys))
            booked, repeat, failed = 0, 0, 0
            if not wired:
                stand_in_journal(store, transcript, number)
                if n % 10 == 0:
                    try:
                        made = store.book_callback(transcript.call_sid, number, "main", ["bench"])
                        booked += made.created
                        if n % 50 == 0:
                            again = store.book_callback(transcript.call_sid, number, "main", [])
                            repeat += not again.created
                    except StoreUnavailable:
                        failed += 1
            elapsed = time.perf_counter() - began
            with tally.lock:
                tally.durations.append(elapsed)
                tally.webhooks += len(transcript.requests)
                tally.call_errors += [e.text for e in transcript.errors()]
                tally.booked += booked
                tally.repeats += repeat
                tally.booking_failures += failed

    workers = [threading.Thread(target=caller, name=f"caller-{i}") for i in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return tally, time.perf_counter() - began


@contextmanager
def bench_database(url: str, in_place: bool, keep: bool) -> Iterator[str]:
    """A new database on the server of `url` (dropped after, unless kept), or `url` itself."""
    if in_place:
        yield url
        return
    admin = create_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"ivr_bench_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as error:
        admin.dispose()
        raise SystemExit(
            f"cannot create a database for the benchmark ({error}); give the role CREATEDB, "
            "or run with --in-place to use the database as it is"
        ) from None
    try:
        yield make_url(sqlalchemy_url(url)).set(database=name).render_as_string(False)
    finally:
        if keep:
            print(f"(kept the database {name})")
        else:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def row_counts(store: Store) -> dict[str, int]:
    """Rows in every table of the store's database."""
    with store.engine.connect() as connection:
        names = sorted(inspect(connection).get_table_names())
        return {
            name: int(connection.scalar(text(f'SELECT count(*) FROM "{name}"')) or 0)
            for name in names
            if name != "alembic_version"
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls to make (default 1000)")
    parser.add_argument("--threads", type=int, default=4, help="callers at once (default 4)")
    parser.add_argument("--url", default=None, help="the database (default TEST_DATABASE_URL)")
    parser.add_argument(
        "--max-seconds", type=float, default=300, help="stop starting calls after this long"
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's database")
    parser.add_argument(
        "--in-place", action="store_true", help="use the database itself, not a new one on it"
    )
    args = parser.parse_args()
    url = args.url or os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set TEST_DATABASE_URL (or DATABASE_URL, or --url) to a PostgreSQL server")
    if make_url(sqlalchemy_url(url)).get_backend_name() != "postgresql":
        print("NOTE: this is not PostgreSQL; the figures are for " + url.split(":", 1)[0])
    quiet = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as we do)
    logging.getLogger("ivr").addHandler(quiet)

    with bench_database(url, args.in_place, args.keep) as database:
        migrated = Store(database, CONFIG["SECRET_KEY"])
        migrated.upgrade()
        before = row_counts(migrated)
        with migrated.engine.connect() as connection:
            server = connection.exec_driver_sql("SELECT version()").scalar() or "?"
        migrated.close()

        app = create_app({**CONFIG, "DATABASE_URL": database})
        found = app.extensions.get("ivr_store")
        wired = isinstance(found, Store)
        store = found if isinstance(found, Store) else Store(database, CONFIG["SECRET_KEY"])
        shown = make_url(sqlalchemy_url(database)).render_as_string(hide_password=True)
        print(f"Calls benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
        print(f"  Python {platform.python_version()} on {platform.platform()}")
        print(f"  {str(server).split(' on ')[0]} at {shown}")
        print(
            f"  {args.calls} scripted calls from {args.threads} caller threads, in-process "
            f"(Flask test client, signed); journal: "
            + ("the app's store" if wired else "stand-in (the app has no store yet)")
        )

        tally, seconds = run_calls(app, store, wired, args.calls, args.threads, args.max_seconds)
        began = time.perf_counter()
        flushed = store.flush(60)
        flush_seconds = time.perf_counter() - began
        stats = store.journal_stats()
        after = row_counts(store)
        store.close()

    made = len(tally.durations)
    written = {name: after[name] - before.get(name, 0) for name in after}
    ms = sorted(d * 1000 for d in tally.durations) or [0.0]
    print(
        f"\n  calls:     {made} in {seconds:.1f} s = {made / seconds:.1f} calls/s; "
        f"{tally.webhooks} webhooks = {tally.webhooks / seconds:.0f}/s"
    )
    print(
        f"  per call:  median {statistics.median(ms):.1f} ms, "
        f"p99 {ms[min(len(ms) - 1, int(len(ms) * 0.99))]:.1f} ms (all its webhooks)"
    )
    print(f"  journal:   flushed in {flush_seconds:.2f} s" + ("" if flushed else " (TIMED OUT)"))
    print(
        "  events:    "
        + ", ".join(f"{k} {v}" for k, v in stats.items() if k != "queued")
        + f" (queued at the end {stats['queued']})"
    )
    print("  rows:      " + ", ".join(f"{k} {v}" for k, v in written.items()))
    print(f"             {sum(written.values())} rows in all")
    if not wired:
        print(
            f"  callbacks: {tally.booked} booked, {tally.repeats} repeats found open "
            f"(not piled up), {tally.booking_failures} not stored"
        )
    errors = (
        len(tally.call_errors)
        + tally.booking_failures
        + stats["dropped"]
        + stats["failed"]
        + (0 if flushed else 1)
        + (0 if made == args.calls else 1)
    )
    for error in sorted(set(tally.call_errors))[:10]:
        print(f"    call error: {error}")
    if made < args.calls:
        print(f"    only {made} of {args.calls} calls made within {args.max_seconds:g} s")
    print(f"  errors:    {errors}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
