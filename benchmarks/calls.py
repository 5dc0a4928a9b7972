"""Scripted calls against PostgreSQL: calls a second, rows written, journal figures, errors.

Run it from the project folder, with a PostgreSQL server (1,000 calls take seconds here):

    export TEST_DATABASE_URL=postgresql://ivr:ivr@127.0.0.1:5432/ivr_test
    .venv/bin/python benchmarks/calls.py
    .venv/bin/python benchmarks/calls.py --calls 200 --threads 8     # see --help

The URL is TEST_DATABASE_URL, else DATABASE_URL (or --url). The benchmark makes a database of
its own on that server (the role needs CREATEDB), migrates it, builds the helpline with
`ivr.create_app` and that DATABASE_URL, and rings it N times with `ivr.phone.Phone` (in-process,
signed as Twilio signs) from a few caller threads: a mix of menus, back and repeat, wrong keys,
silence, transfers that are answered, busy or unanswered, and one call in ten asks for a call
back (some from a number whose request is still open: that must not make a second). Then it
waits for the journal to be written, counts the rows of every table, prints the figures, and
drops its database (--keep keeps it; --in-place uses the database as it is and counts the rows
it added).

Errors are calls whose transcript has an error, callback requests missing from the table, and
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

from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ivr import create_app
from ivr.phone import Phone, parse_keys
from ivr.store import Store
from ivr.store.database import sqlalchemy_url
from ivr.store_cli import shown_url

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
# keys, silence, the nurse line (0) answered, busy and not answered, and a call back asked for
# (no nurse free: 1 for a call back, 1 for "that number is right").
SCRIPTS: Sequence[tuple[str, str]] = (
    ("1 1 1", "answered"),
    ("2 1 1 2 1 2 1", "answered"),
    ("3 1 1 * # 2", "answered"),
    ("0", "answered"),
    ("0 1 1 1", "busy"),
    ("2 2 1 . 0", "no-answer"),
    ("7 7 7", "busy"),
    (". .", "answered"),
    ("1 2 1 1", "answered"),
    ("3 2 2", "failed"),
)
CALLBACK_SCRIPT = 4


def caller_number(n: int) -> str:
    """Numbers in Ofcom's drama range (020 7946 0xxx); the last 50 calls reuse the first ones."""
    return f"+442079460{n % 950:03d}"


@dataclass
class Tally:
    """What the caller threads saw."""

    durations: list[float] = field(default_factory=list)
    webhooks: int = 0
    call_errors: list[str] = field(default_factory=list)
    asked_callback: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_calls(app: Flask, calls: int, threads: int, max_seconds: float) -> tuple[Tally, float]:
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
            script = n % len(SCRIPTS)
            keys, outcome = SCRIPTS[script]
            number = caller_number(n)
            phone = Phone(app, auth_token=TOKEN, caller=number, dial_outcome=outcome)
            began = time.perf_counter()
            transcript = phone.call(parse_keys(keys))
            elapsed = time.perf_counter() - began
            with tally.lock:
                tally.durations.append(elapsed)
                tally.webhooks += len(transcript.requests)
                tally.call_errors += [e.text for e in transcript.errors()]
                if script == CALLBACK_SCRIPT:
                    tally.asked_callback.add(number)

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
        store = app.extensions.get("ivr_store")
        if not isinstance(store, Store):
            raise SystemExit("the app keeps no store in app.extensions['ivr_store']")
        shown = shown_url(database)
        print(f"Calls benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
        print(f"  Python {platform.python_version()} on {platform.platform()}")
        print(f"  {str(server).split(' on ')[0]} at {shown}")
        print(
            f"  {args.calls} scripted calls from {args.threads} caller threads, in-process "
            "(Flask test client, signed)"
        )

        tally, seconds = run_calls(app, args.calls, args.threads, args.max_seconds)
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
    missing = len(tally.asked_callback) - written.get("callbacks", 0)
    print(
        f"  callbacks: {len(tally.asked_callback)} numbers asked for a call back; "
        f"{written.get('callbacks', 0)} requests stored (one per number: no pile-up)"
    )
    errors = (
        len(tally.call_errors)
        + abs(missing)
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
