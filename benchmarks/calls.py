"""Scripted calls against PostgreSQL: calls a second, rows written, journal figures, errors.

Run it from the project folder, with a PostgreSQL server (1,000 calls take seconds here):

    export TEST_DATABASE_URL=postgresql://ivr:ivr@127.0.0.1:5432/ivr_test
    .venv/bin/python benchmarks/calls.py
    .venv/bin/python benchmarks/calls.py --calls 200 --threads 8     # see --help

The URL is TEST_DATABASE_URL, else DATABASE_URL (or --url). The benchmark makes a database of
its own on that server (the role needs CREATEDB), migrates it, builds the helpline with
`ivr.create_app` and that DATABASE_URL, and rings it N times with `ivr.practice.phone.Phone`
(in-process, signed as Twilio signs) from a few caller threads: a mix of menus, back and
repeat, wrong keys, silence, transfers that are answered, busy or unanswered, and one call in
ten asks for a call back (some from a number whose request is still open: that must not make a
second). Then it waits for the journal to be written, counts the rows of every table, prints
the figures, and drops its database (--keep keeps it; --in-place uses the database as it is and
counts the rows it added).

Errors are calls whose transcript has an error, callback requests missing from the table, and
journal events dropped or failed; the run exits 1 if there are any. It stops starting new calls
after --max-seconds. Nothing here is a test: the figures depend on the machine.

With --outage SECONDS the benchmark runs a PostgreSQL server of its own (as the tests do:
tests/pgcluster.py, from the server binaries under /usr/lib/postgresql), spreads the calls over
three times SECONDS, stops the server with `pg_ctl stop` after the first third and starts it
again after the second. It then prints what the outage cost and what it must never cost:
webhooks answered (every one must be 200 TwiML), journal rows expected against kept (the
difference is the events counted as lost), and call backs a caller was told were booked
against those stored (they must match: nobody is told "booked" for a request that was not kept).

    .venv/bin/python benchmarks/calls.py --outage 15
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
from ivr.practice.phone import Phone, parse_keys
from ivr.store import Store
from ivr.store.cli import shown_url
from ivr.store.connection import sqlalchemy_url
from ivr.webhooks.helpline import helpline

# The tests' own PostgreSQL server (tests/pgcluster.py), for --outage: the project folder is
# where `tests` is found when this file is run as a script.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.pgcluster import Cluster, ClusterUnavailable, own_cluster

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
    "SERVICE_RUN_BY": "the benchmark",
    "PUBLIC_BASE_URL": "http://localhost",
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


# Webhooks that write a step to the journal (the nurse's whisper is not the caller's call).
JOURNALLED = ("/voice/incoming", "/voice/step", "/voice/dial", "/voice/entry/")


@dataclass
class Tally:
    """What the caller threads saw."""

    durations: list[float] = field(default_factory=list)
    webhooks: int = 0
    answered: int = 0  # webhooks answered 200 with TwiML
    steps_expected: int = 0  # journal steps the calls' webhooks should have written
    call_errors: list[str] = field(default_factory=list)
    asked_callback: set[str] = field(default_factory=set)
    told_booked: set[str] = field(default_factory=set)  # heard their call back was booked
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_calls(
    app: Flask, calls: int, threads: int, max_seconds: float, spread: float = 0.0
) -> tuple[Tally, float]:
    """Ring the helpline `calls` times from `threads` callers, starting call n no sooner than
    n * spread / calls seconds in; the tally and the seconds taken."""
    tally = Tally()
    numbers = itertools.count()
    began_at = time.monotonic()
    deadline = began_at + max_seconds
    booked = helpline(app).content.prompts["callback.booked"].spoken

    def caller() -> None:
        while time.monotonic() < deadline:
            with tally.lock:
                n = next(numbers)
            if n >= calls:
                return
            if spread:
                time.sleep(max(0.0, began_at + n * spread / calls - time.monotonic()))
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
                tally.answered += sum(
                    r.status == 200 and "<Response" in r.body for r in transcript.requests
                )
                tally.steps_expected += sum(
                    urlsplit(r.url).path.startswith(JOURNALLED) for r in transcript.requests
                )
                tally.call_errors += [e.text for e in transcript.errors()]
                if script == CALLBACK_SCRIPT:
                    tally.asked_callback.add(number)
                if booked in transcript.heard():
                    tally.told_booked.add(number)

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
    parser.add_argument(
        "--outage",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="on a server of its own, stop PostgreSQL for this long in the middle of the run",
    )
    args = parser.parse_args()
    if args.outage:
        with own_server() as cluster:
            run(args, cluster.url, cluster)
        return
    url = args.url or os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set TEST_DATABASE_URL (or DATABASE_URL, or --url) to a PostgreSQL server")
    run(args, url, None)


@contextmanager
def own_server() -> Iterator[Cluster]:
    """A PostgreSQL server of the benchmark's own, to stop and start."""
    try:
        with own_cluster() as cluster:
            yield cluster
    except ClusterUnavailable as why:
        raise SystemExit(f"--outage needs a PostgreSQL server of its own: {why}") from None


def outage(cluster: Cluster, seconds: float) -> threading.Thread:
    """Stop the server after `seconds` and start it again `seconds` later, in a thread."""

    def run() -> None:
        time.sleep(seconds)
        print(f"  -- {time.strftime('%H:%M:%S')} stopping PostgreSQL (pg_ctl stop)")
        cluster.stop()
        time.sleep(seconds)
        cluster.start()
        print(f"  -- {time.strftime('%H:%M:%S')} PostgreSQL started again")

    thread = threading.Thread(target=run, name="outage", daemon=True)
    thread.start()
    return thread


def run(args: argparse.Namespace, url: str, cluster: Cluster | None) -> None:
    """The benchmark on the database at `url`; with a cluster, an outage in the middle."""
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
        store = helpline(app).store
        shown = shown_url(database)
        print(f"Calls benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
        print(f"  Python {platform.python_version()} on {platform.platform()}")
        print(f"  {str(server).split(' on ')[0]} at {shown}")
        print(
            f"  {args.calls} scripted calls from {args.threads} caller threads, in-process "
            "(Flask test client, signed)"
        )

        stopping = outage(cluster, args.outage) if cluster is not None else None
        tally, seconds = run_calls(
            app, args.calls, args.threads, args.max_seconds, spread=3 * args.outage
        )
        if stopping is not None:
            stopping.join()
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
    stored = written.get("callbacks", 0)
    print(
        f"  callbacks: {len(tally.asked_callback)} numbers asked for a call back; "
        f"{len(tally.told_booked)} told theirs was booked; {stored} requests stored "
        "(one per number: no pile-up)"
    )
    kept = written.get("call_events", 0)
    print(
        f"  answered:  {tally.answered} of {tally.webhooks} webhooks with 200 TwiML; journal "
        f"steps expected {tally.steps_expected}, kept {kept} (lost {tally.steps_expected - kept})"
    )
    told_wrongly = abs(len(tally.told_booked) - stored)  # told "booked" and not kept, or not told
    errors = (
        len(tally.call_errors)
        + (tally.webhooks - tally.answered)
        + told_wrongly
        + (0 if flushed else 1)
        + (0 if made == args.calls else 1)
    )
    if cluster is None:
        # With the database up throughout, nothing may be lost and every asker gets theirs.
        errors += abs(len(tally.asked_callback) - stored) + stats["dropped"] + stats["failed"]
    for error in sorted(set(tally.call_errors))[:10]:
        print(f"    call error: {error}")
    if made < args.calls:
        print(f"    only {made} of {args.calls} calls made within {args.max_seconds:g} s")
    print(f"  errors:    {errors}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
