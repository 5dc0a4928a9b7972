"""How fast the helpline answers Twilio's webhooks, next to a minimal Flask app, in the same run.

Run it from the project folder (on 2 CPUs the full run takes about 80 s, --quick about 25 s):

    .venv/bin/python benchmarks/webhooks.py            # in-process, then over HTTP
    .venv/bin/python benchmarks/webhooks.py --quick    # fewer requests, shorter runs
    .venv/bin/python benchmarks/webhooks.py --only in-process --test-client   # see --help

The goal (with signatures checked): at least 0.8 of the minimal app's throughput, and a p99
latency at most twice its p99. The minimal app (benchmarks/minimal_app.py) answers one fixed
TwiML string at any /voice/ path and checks nothing, so the ratios are the price of our work.

What it does:

1. In-process. Each kind of webhook (incoming call, key press, silence, wrong key, dial outcome,
   status callback, fallback) is sent N times, signed as Twilio signs, to three apps: the
   minimal app, the helpline with signatures checked, and the helpline in development mode
   (no token: nothing checked), to show what signing costs. The apps take turns in rounds, the
   order rotating each round, so machine noise falls on all three alike; each is warmed up
   first. A request is built once with Werkzeug's EnvironBuilder (what Flask's test client
   uses) and replayed straight into the app's WSGI callable: the test client's own work
   (about 100 us a request, more than the minimal app's whole answer) would otherwise be timed
   on both sides and flatter the ratio. --test-client times Flask's test client instead.
2. Over HTTP. Each app is served as the Procfile's `web:` line serves the helpline (read at run
   time; 0.0.0.0:$PORT becomes 127.0.0.1 and a free port; the minimal app is
   'benchmarks.minimal_app:create_app()'), with CONFIG (below) in the environment. Client
   threads with keep-alive connections send an equal mix of the seven kinds for a fixed time,
   after a warm-up. Every request is signed for its exact URL, in advance, so the client's
   HMACs are not timed; the client writes prepared bytes to plain sockets (the standard
   library only: a `requests` client costs several times more CPU per request, taken from the
   same cores as the servers). Any answer that is not 200 text/xml is counted as an error and
   printed. The two servers run one after the other, alternating, twice each; the better run of
   each (the higher throughput) is reported, and every run is printed, with the CPU time per
   answer of the server (master and workers, from /proc) and of the callers.
3. A verdict line per goal, in-process and over HTTP; where a goal fails, where the time goes in
   the kind furthest from the minimal app: its stages (form, signature, view, TwiML) timed
   apart in request contexts, then a cProfile run: own time by module and the top functions
   by cumulative time.

The app's warnings (one per fallback request) are formatted and written to /dev/null
in-process, and to a log file over HTTP: what gunicorn, with no logging set up, does to stderr.

Nothing here is a test: figures depend on the machine. It needs flask, twilio and gunicorn
(all in the project's dependencies); no extra tools.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import logging
import math
import os
import platform
import pstats
import re
import shlex
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from twilio.request_validator import RequestValidator
from werkzeug.test import EnvironBuilder

from ivr import create_app
from ivr.content.model import (
    BACK_KEY,
    MAIN_MENU_KEY,
    OPERATOR_KEY,
    PACE_KEY,
    REPEAT_KEY,
    ChoiceNode,
)

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
CONFIG: Mapping[str, str] = {
    "TWILIO_AUTH_TOKEN": TOKEN,
    "SECRET_KEY": "x",
    "NURSE_LINE_NUMBER": "+441632960000",
    "NURSE_LINE_HOURS": "always",
    "CONTENT_DIR": str(ROOT),
    "PROXY_HOPS": "0",
    "SERVICE_RUN_BY": "the benchmark",
    # Signatures are checked against this address: the in-process requests' (over HTTP, each
    # server's own, set where it is started).
    "PUBLIC_BASE_URL": "http://localhost",
}
UNSIGNED_CONFIG = {k: v for k, v in CONFIG.items() if k != "TWILIO_AUTH_TOKEN"}
PROCFILE_DEFAULT = "gunicorn --bind 0.0.0.0:$PORT --workers 2 --threads 4 'ivr:create_app()'"
OUR_APP_SPEC = "ivr:create_app()"
MINIMAL_APP_SPEC = "benchmarks.minimal_app:create_app()"
CLIENT_THREADS = 16
GOAL_THROUGHPUT = 0.8
GOAL_P99 = 2.0
MINIMAL, SIGNED, UNSIGNED = "minimal", "signed", "unsigned"


@dataclass(frozen=True)
class Plan:
    """How much to run: requests per kind and app in-process, seconds over HTTP."""

    requests: int
    rounds: int
    warmup_requests: int
    http_warmup_s: float
    http_seconds: float
    http_repeats: int


FULL = Plan(
    requests=3000,
    rounds=10,
    warmup_requests=200,
    http_warmup_s=2.0,
    http_seconds=12.0,
    http_repeats=2,
)
QUICK = Plan(
    requests=400, rounds=4, warmup_requests=50, http_warmup_s=1.0, http_seconds=3.0, http_repeats=2
)


# ------------------------------------------------------------------ the requests Twilio sends


@dataclass(frozen=True)
class Webhook:
    """One kind of request Twilio makes: its path (with the state in the query) and form."""

    kind: str
    path: str
    params: Mapping[str, str]


def twilio_params(call: int, **extra: str) -> dict[str, str]:
    """The form Twilio posts with every voice webhook (fictional numbers), plus `extra`."""
    caller, line = f"+4416329{call % 1000:03d}99", "+441632960123"
    params = {
        "AccountSid": "AC" + "0123456789abcdef" * 2,
        "ApiVersion": "2010-04-01",
        "CallSid": f"CA{call:032x}",
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "Caller": caller,
        "CallerCity": "",
        "CallerCountry": "GB",
        "CallerState": "",
        "CallerZip": "",
        "From": caller,
        "FromCity": "",
        "FromCountry": "GB",
        "FromState": "",
        "FromZip": "",
        "Called": line,
        "CalledCity": "",
        "CalledCountry": "GB",
        "CalledState": "",
        "CalledZip": "",
        "To": line,
        "ToCity": "",
        "ToCountry": "GB",
        "ToState": "",
        "ToZip": "",
    }
    params.update(extra)
    return params


def webhooks(app: Flask, call: int = 1) -> list[Webhook]:
    """One request of each kind, at node ids taken from the flow the app has loaded."""
    flow = app.extensions["ivr"].engine.flow
    start = flow.nodes[flow.start]
    if not isinstance(start, ChoiceNode) or not start.options:
        raise SystemExit(f"the start node {flow.start!r} has no options to press")
    key = start.options[0].key
    every_node = (OPERATOR_KEY, BACK_KEY, REPEAT_KEY, PACE_KEY, MAIN_MENU_KEY)  # work everywhere
    wrong = next(k for k in "987654321" if start.option(k) is None and k not in every_node)
    step = "/voice/step?" + urlencode({"n": flow.start})
    gathered = {"FinishedOnKey": "", "msg": "Gather End"}
    return [
        Webhook("incoming", "/voice/incoming", twilio_params(call, CallStatus="ringing")),
        Webhook("key press", step, twilio_params(call, Digits=key, **gathered)),
        Webhook("silence", step, twilio_params(call)),
        Webhook("wrong key", step, twilio_params(call, Digits=wrong, **gathered)),
        Webhook(
            "dial outcome",
            "/voice/dial?" + urlencode({"n": flow.operator}),
            twilio_params(
                call,
                DialCallStatus="no-answer",
                DialCallSid=f"CA{call:032X}",
                DialCallDuration="0",
                DialBridged="false",
            ),
        ),
        Webhook(
            "status",
            "/voice/status",
            twilio_params(
                call,
                CallStatus="completed",
                CallDuration="94",
                Duration="2",
                CallbackSource="call-progress-events",
                SequenceNumber="0",
                Timestamp="Fri, 27 Nov 2026 11:15:00 +0000",
            ),
        ),
        Webhook(
            "fallback",
            "/voice/fallback",
            twilio_params(
                call, ErrorCode="11200", ErrorUrl="https://helpline.example.org/voice/step?n=main"
            ),
        ),
    ]


def sign(base_url: str, hook: Webhook) -> str:
    """The X-Twilio-Signature Twilio would send for this request at this address."""
    signature: str = RequestValidator(TOKEN).compute_signature(
        base_url + hook.path, dict(hook.params)
    )
    return signature


# ------------------------------------------------------------------ figures


@dataclass
class Sample:
    """Latencies (ns) of the requests answered, and what went wrong with the rest."""

    latencies: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0  # wall time, over HTTP; in-process throughput is 1 / mean
    server_cpu_s: float = 0.0  # over HTTP: CPU the server's processes used meanwhile
    client_cpu_s: float = 0.0  # over HTTP: CPU this process (the callers) used meanwhile

    def add(self, other: Sample) -> None:
        """Pool another sample into this one."""
        self.latencies += other.latencies
        self.errors.update(other.errors)
        self.seconds += other.seconds

    @property
    def mean_us(self) -> float:
        """The mean latency in microseconds."""
        return sum(self.latencies) / len(self.latencies) / 1e3

    def percentile_us(self, q: float) -> float:
        """The nearest-rank percentile, q in (0, 100]."""
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] / 1e3

    def cpu_us(self, seconds: float) -> float:
        """CPU seconds spread over the requests answered, in microseconds each."""
        return seconds / len(self.latencies) * 1e6

    @property
    def per_second(self) -> float:
        """Requests answered per second: over wall time if timed so, else one after another."""
        if self.seconds:
            return len(self.latencies) / self.seconds
        return 1e6 / self.mean_us


def ratios(ours: Sample, minimal: Sample) -> tuple[float, float]:
    """Throughput ours/minimal (goal >= 0.8) and p99 ours/minimal (goal <= 2)."""
    return (
        ours.per_second / minimal.per_second,
        ours.percentile_us(99) / minimal.percentile_us(99),
    )


def verdict(where: str, ours: Sample, minimal: Sample) -> bool:
    """Print one line per goal; whether both goals are met."""
    throughput, p99 = ratios(ours, minimal)
    ok_throughput, ok_p99 = throughput >= GOAL_THROUGHPUT, p99 <= GOAL_P99
    print(f"{where}:")
    print(
        f"  throughput ratio {throughput:.2f} (goal >= {GOAL_THROUGHPUT}): "
        f"{'PASS' if ok_throughput else 'FAIL'}"
    )
    print(f"  p99 ratio {p99:.2f} (goal <= {GOAL_P99}): {'PASS' if ok_p99 else 'FAIL'}")
    return ok_throughput and ok_p99


# ------------------------------------------------------------------ in-process

Send = Callable[[], tuple[int, str]]


def prepared(hook: Webhook, signature: str) -> tuple[dict[str, Any], bytes]:
    """The WSGI environ of a request at http://localhost (as the test client builds it), and its
    body, to be replayed with a fresh input stream each time."""
    builder = EnvironBuilder(
        path=hook.path,
        base_url="http://localhost",
        method="POST",
        data=dict(hook.params),
        headers=[("X-Twilio-Signature", signature)],
    )
    environ = builder.get_environ()
    body = environ["wsgi.input"].read()
    builder.close()
    return environ, body


def wsgi_sender(app: Flask, hook: Webhook, signature: str) -> Send:
    """A request built once, replayed into the WSGI app: (status, content type) per call."""
    environ, body = prepared(hook, signature)
    answer: list[Any] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        """WSGI's start_response: keep the status and headers."""
        answer[:] = [status, headers]
        return lambda data: None

    def send() -> tuple[int, str]:
        """One request, answered in full."""
        fresh = dict(environ)
        fresh["wsgi.input"] = io.BytesIO(body)
        chunks = app(fresh, start_response)
        try:
            b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        status, headers = answer
        return int(status[:3]), dict(headers).get("Content-Type", "")

    return send


def test_client_sender(app: Flask, hook: Webhook, signature: str) -> Send:
    """The same request through Flask's test client, which builds it anew every time."""
    client = app.test_client()
    headers = {"X-Twilio-Signature": signature}

    def send() -> tuple[int, str]:
        """One request through the test client."""
        response = client.post(hook.path, data=dict(hook.params), headers=headers)
        return response.status_code, response.content_type or ""

    return send


def time_requests(send: Send, count: int, into: Sample) -> None:
    """Send `count` requests one after another, adding each latency (and any error) to `into`."""
    clock = time.perf_counter_ns
    for _ in range(count):
        began = clock()
        status, content_type = send()
        into.latencies.append(clock() - began)
        if status != 200 or not content_type.startswith("text/xml"):
            into.errors[f"{status} {content_type}"] += 1


def build_apps() -> dict[str, Flask]:
    """The minimal app, and the helpline with and without signatures checked."""
    minimal_app = importlib.import_module("benchmarks.minimal_app")
    return {
        MINIMAL: minimal_app.create_app(),
        SIGNED: create_app(CONFIG),
        UNSIGNED: create_app(UNSIGNED_CONFIG, development=True),
    }


def run_in_process(
    apps: Mapping[str, Flask], hooks: Sequence[Webhook], plan: Plan, test_client: bool
) -> dict[str, dict[str, Sample]]:
    """Time every kind on every app, the apps taking turns in rounds: kind -> app -> sample."""
    make = test_client_sender if test_client else wsgi_sender
    senders = {
        hook.kind: {
            name: make(app, hook, sign("http://localhost", hook)) for name, app in apps.items()
        }
        for hook in hooks
    }
    results = {hook.kind: {name: Sample() for name in apps} for hook in hooks}
    for by_app in senders.values():
        for send in by_app.values():
            time_requests(send, plan.warmup_requests, Sample())
    per_round = plan.requests // plan.rounds
    names = list(apps)
    for turn in range(plan.rounds):
        order = names[turn % len(names) :] + names[: turn % len(names)]
        for kind, by_app in senders.items():
            for name in order:
                time_requests(by_app[name], per_round, results[kind][name])
    return results


def print_in_process(results: Mapping[str, Mapping[str, Sample]]) -> dict[str, Sample]:
    """The two in-process tables; returns every kind pooled per app (an equal mix)."""
    pooled = {name: Sample() for name in (MINIMAL, SIGNED, UNSIGNED)}
    print(f"{'':14}{'minimal app':>26} {'helpline, signatures checked':>30}  {'ratios':>11}")
    print(
        f"{'kind':14}{'mean':>7}{'p50':>6}{'p99':>7}{'req/s':>7}  "
        f"{'mean':>7}{'p50':>6}{'p99':>7}{'req/s':>7}  {'thr':>5}{'p99':>6}"
    )
    rows = [*results.items(), ("all (mix)", pooled)]
    for by_app in results.values():
        for name, sample in by_app.items():
            pooled[name].add(sample)
    for kind, by_app in rows:
        mini, ours = by_app[MINIMAL], by_app[SIGNED]
        throughput, p99 = ratios(ours, mini)
        print(
            f"{kind:14}"
            + "  ".join(
                f"{s.mean_us:7.0f}{s.percentile_us(50):6.0f}{s.percentile_us(99):7.0f}"
                f"{s.per_second:7.0f}"
                for s in (mini, ours)
            )
            + f"  {throughput:5.2f}{p99:6.2f}"
        )
    print(
        "(times in microseconds per request; req/s = one request after another; "
        "the mix weighs every kind equally)"
    )
    print(f"\n{'kind':14}{'unsigned':>10}{'signed':>9}{'signing':>9}  unsigned/minimal thr, p99")
    for kind, by_app in rows:
        unsigned, signed = by_app[UNSIGNED], by_app[SIGNED]
        throughput, p99 = ratios(unsigned, by_app[MINIMAL])
        print(
            f"{kind:14}{unsigned.mean_us:10.0f}{signed.mean_us:9.0f}"
            f"{signed.mean_us - unsigned.mean_us:9.0f}  {throughput:10.2f}{p99:6.2f}"
        )
    print("(mean microseconds per request; signing = what checking the signature adds)")
    for name, sample in pooled.items():
        for error, count in sample.errors.items():
            print(f"ERROR in-process {name}: {count} answers were {error}")
    return pooled


# ------------------------------------------------------------------ over HTTP


def procfile_command() -> tuple[list[str], str]:
    """The Procfile's web command as arguments, and where it came from."""
    procfile = ROOT / "Procfile"
    if procfile.exists():
        for line in procfile.read_text().splitlines():
            if line.startswith("web:"):
                return shlex.split(line.removeprefix("web:")), "Procfile"
    return shlex.split(PROCFILE_DEFAULT), "built-in copy (no Procfile web: line)"


def server_command(args: Sequence[str], port: int | str, app_spec: str) -> list[str]:
    """The Procfile's command on 127.0.0.1:port, serving `app_spec` (the venv's gunicorn)."""
    command = []
    for arg in args:
        arg = re.sub(r"\$\{?PORT(:-\d+)?\}?", str(port), arg).replace("0.0.0.0", "127.0.0.1")
        command.append(app_spec if arg == OUR_APP_SPEC else arg)
    if command[0] == "gunicorn":
        command[0] = str(Path(sys.executable).with_name("gunicorn"))
    if app_spec not in command:
        raise SystemExit(f"the Procfile's web command does not serve {OUR_APP_SPEC!r}: {args}")
    return command


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing is listening on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Connection:
    """One keep-alive HTTP/1.1 connection that sends prepared requests and reads the answers."""

    def __init__(self, port: int) -> None:
        """Connect to 127.0.0.1:port, with Nagle's delay off as an HTTP client should."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.open = True

    def exchange(self, request: bytes) -> tuple[int, str]:
        """Send one request; read its answer whole; return (status, content type)."""
        self.sock.sendall(request)
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._receive()
        lines = self.buffer[:end].decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:])
        }
        if "content-length" not in headers:
            raise ConnectionError(f"answer without Content-Length: {lines[0]}")
        finish = end + 4 + int(headers["content-length"])
        while len(self.buffer) < finish:
            self._receive()
        self.buffer = self.buffer[finish:]
        self.open = headers.get("connection", "").lower() != "close"
        return int(lines[0].split(" ", 2)[1]), headers.get("content-type", "")

    def _receive(self) -> None:
        """Read what has arrived; a closed connection is an error mid-answer."""
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


def request_pool(port: int, hooks_per_call: Sequence[Sequence[Webhook]]) -> list[bytes]:
    """Every request as the bytes Twilio would send to 127.0.0.1:port, signed in advance."""
    base = f"http://127.0.0.1:{port}"
    pool = []
    for hooks in hooks_per_call:
        for hook in hooks:
            body = urlencode(hook.params).encode()
            pool.append(
                f"POST {hook.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"User-Agent: TwilioProxy/1.1\r\nAccept: */*\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {sign(base, hook)}\r\n"
                f"Connection: keep-alive\r\n\r\n".encode()
                + body
            )
    return pool


def drive(port: int, pool: Sequence[bytes], threads: int, seconds: float) -> Sample:
    """Callers on `threads` connections send the pool round and round for `seconds`."""
    samples = [Sample() for _ in range(threads)]
    go = threading.Barrier(threads + 1)
    stop = threading.Event()

    def caller(index: int, sample: Sample) -> None:
        """One caller: a request, wait for the answer, the next (offset so kinds mix)."""
        connection: Connection | None = None
        position = index * 7
        clock = time.perf_counter_ns
        go.wait()
        while not stop.is_set():
            request = pool[position % len(pool)]
            position += 1
            try:
                connection = connection or Connection(port)
                began = clock()
                status, content_type = connection.exchange(request)
                sample.latencies.append(clock() - began)
                if status != 200 or not content_type.startswith("text/xml"):
                    sample.errors[f"{status} {content_type}"] += 1
                if not connection.open:
                    connection.close()
                    connection = None
            except OSError as error:
                sample.errors[f"{type(error).__name__}: {error}"] += 1
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()

    workers = [
        threading.Thread(target=caller, args=(i, s), daemon=True) for i, s in enumerate(samples)
    ]
    for worker in workers:
        worker.start()
    go.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    total = Sample(seconds=time.perf_counter() - began)
    for sample in samples:
        total.latencies += sample.latencies
        total.errors.update(sample.errors)
    return total


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children, from /proc (0 where there is none)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    proc = Path("/proc")
    total = 0.0
    for entry in proc.iterdir() if (proc / "self" / "stat").exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except (OSError, ValueError):
            continue
        # After the command: state, ppid, ..., utime and stime are the 12th and 13th.
        if entry.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def wait_until_answering(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    """Wait (up to 30 s) until the server answers any HTTP request at all."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}):\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as probe:
                probe.sendall(b"GET / HTTP/1.0\r\n\r\n")
                if probe.recv(16).startswith(b"HTTP/"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server did not answer within 30 s:\n{log.read_text()}")


@contextmanager
def serving(command: Sequence[str], port: int, log: Path) -> Iterator[int]:
    """Run the server command (settings in its environment) until the block ends."""
    env = {**os.environ, **CONFIG, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_until_answering(port, server, log)
            yield server.pid
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def run_http(
    args: Sequence[str], hooks_per_call: Sequence[Sequence[Webhook]], plan: Plan
) -> dict[str, Sample]:
    """Each server in turn, alternating, `http_repeats` times; the better run of each."""
    runs: dict[str, list[Sample]] = {MINIMAL: [], SIGNED: []}
    specs = {MINIMAL: MINIMAL_APP_SPEC, SIGNED: OUR_APP_SPEC}
    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as folder:
        for repeat in range(plan.http_repeats):
            for name, spec in specs.items():
                port = free_port()
                pool = request_pool(port, hooks_per_call)
                log = Path(folder) / f"{name}-{repeat}.log"
                with serving(server_command(args, port, spec), port, log) as pid:
                    drive(port, pool, CLIENT_THREADS, plan.http_warmup_s)
                    server_cpu, client_cpu = server_cpu_seconds(pid), time.process_time()
                    sample = drive(port, pool, CLIENT_THREADS, plan.http_seconds)
                    sample.server_cpu_s = server_cpu_seconds(pid) - server_cpu
                    sample.client_cpu_s = time.process_time() - client_cpu
                runs[name].append(sample)
                print(
                    f"  run {repeat + 1} {name:8} {sample.per_second:6.0f} req/s  "
                    f"p50 {sample.percentile_us(50) / 1e3:5.2f} ms  "
                    f"p99 {sample.percentile_us(99) / 1e3:5.2f} ms  "
                    f"CPU/answer server {sample.cpu_us(sample.server_cpu_s):4.0f} us "
                    f"client {sample.cpu_us(sample.client_cpu_s):3.0f} us  "
                    f"{len(sample.latencies)} answers, {sum(sample.errors.values())} errors",
                    flush=True,
                )
                for error, count in sample.errors.items():
                    print(f"    ERROR {count} x {error}")
                if sample.errors:
                    print(
                        "    server log (last lines):\n      "
                        + "\n      ".join(log.read_text(errors="replace").splitlines()[-15:])
                    )
    return {name: max(samples, key=lambda s: s.per_second) for name, samples in runs.items()}


def print_http(best: Mapping[str, Sample]) -> None:
    """The better run of each server, side by side, and the ratios."""
    print(
        f"\n{'better run':12}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'server CPU us':>15}{'client CPU us':>15}"
    )
    for name, sample in best.items():
        print(
            f"{name:12}{sample.per_second:8.0f}{sample.percentile_us(50) / 1e3:9.2f}"
            f"{sample.percentile_us(99) / 1e3:9.2f}{sum(sample.errors.values()):8d}"
            f"{sample.cpu_us(sample.server_cpu_s):15.0f}"
            f"{sample.cpu_us(sample.client_cpu_s):15.0f}"
        )
    throughput, p99 = ratios(best[SIGNED], best[MINIMAL])
    print(f"{'ratio':12}{throughput:8.2f}{'':9}{p99:9.2f}")
    print(
        "(CPU us = CPU time per answer while timed: the server's master and workers, and "
        "this process's callers)"
    )


# ------------------------------------------------------------------ where the time goes


def group_of(filename: str) -> str:
    """A profile entry's file as a readable group: package, ivr module, or stdlib module."""
    if filename == "~":
        return "C built-ins"
    path = Path(filename)
    if "site-packages" in path.parts:
        parts = path.parts[path.parts.index("site-packages") + 1 :]
        return ".".join(p.removesuffix(".py") for p in parts[: 2 if parts[0] == "twilio" else 1])
    if ROOT in path.parents:
        return str(path.relative_to(ROOT))
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    if stdlib in path.parents:
        return "stdlib " + path.relative_to(stdlib).parts[0].removesuffix(".py")
    return path.name


def where_the_time_goes(
    results: Mapping[str, Mapping[str, Sample]],
    apps: Mapping[str, Flask],
    hooks: Sequence[Webhook],
    requests: int,
) -> None:
    """Profile the kind furthest from the minimal app: time by module, then top functions."""
    kind = min(results, key=lambda k: ratios(results[k][SIGNED], results[k][MINIMAL])[0])
    hook = next(h for h in hooks if h.kind == kind)
    by_app = results[kind]
    print(
        f"\nSlowest kind next to the minimal app: {kind} ({hook.path}), "
        f"{by_app[SIGNED].mean_us:.0f} us against {by_app[MINIMAL].mean_us:.0f} us; "
        f"the signature check is {by_app[SIGNED].mean_us - by_app[UNSIGNED].mean_us:.0f} us "
        f"of it (signed - unsigned)."
    )
    send = wsgi_sender(apps[SIGNED], hook, sign("http://localhost", hook))
    profiler = cProfile.Profile()
    profiler.runcall(time_requests, send, requests, Sample())
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    here = str(Path(__file__).resolve())
    entries = {
        key: value
        for key, value in stats.items()
        if key[0] != here and "_lsprof.Profiler" not in key[2]
    }
    total = sum(value[2] for value in entries.values())
    groups: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, own, _, _) in entries.items():
        groups[group_of(filename)] += own
    print(
        f"\nOwn time by module, under cProfile ({requests} requests; cProfile slows many "
        "small calls, so read the shares, not the microseconds):"
    )
    for group, own in sorted(groups.items(), key=lambda item: item[1], reverse=True)[:12]:
        print(f"  {own / total:6.1%}  {own / requests * 1e6:7.1f} us  {group}")
    print("\nTop functions by cumulative time, under cProfile (us per request):")
    print(f"  {'cumulative':>10}{'own':>8}{'calls':>7}  function")
    top = sorted(entries.items(), key=lambda item: item[1][3], reverse=True)[:16]
    for (filename, line, name), (_, calls, own, cumulative, _) in top:
        where = f"{group_of(filename)}:{line}" if filename != "~" else ""
        print(
            f"  {cumulative / requests * 1e6:10.1f}{own / requests * 1e6:8.1f}"
            f"{calls / requests:7.1f}  {name} {where}"
        )


# ------------------------------------------------------------------ the run


def header(plan: Plan, args: argparse.Namespace, command: Sequence[str], source: str) -> None:
    """How this run was made, so the figures can be compared with another machine's."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"Webhook benchmark, {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{'--quick' if args.quick else 'full run'}"
    )
    print(
        f"  Python {platform.python_version()} on {platform.platform()}, {cpus} CPUs; "
        + ", ".join(f"{p} {version(p)}" for p in ("flask", "werkzeug", "twilio", "gunicorn"))
    )
    if args.only != "http":
        print(
            f"  in-process: {plan.requests} requests per kind and app in {plan.rounds} rounds "
            f"(+{plan.warmup_requests} warm-up), "
            f"{'Flask test client' if args.test_client else 'prepared WSGI environ'}"
        )
    if args.only != "in-process":
        print(f"  over HTTP: {shlex.join(command)}  (from the {source})")
        print(
            f"    {CLIENT_THREADS} client threads (stdlib sockets, keep-alive), "
            f"{plan.http_warmup_s:g} s warm-up + {plan.http_seconds:g} s per run, "
            f"{plan.http_repeats} runs per server alternating, better run reported"
        )
    print("  helpline settings: " + ", ".join(f"{k}={v}" for k, v in CONFIG.items()))


def main() -> None:
    """Parse the options, run what was asked, print the figures and the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, shorter runs")
    parser.add_argument("--only", choices=("in-process", "http"), help="run only one part")
    parser.add_argument(
        "--test-client",
        action="store_true",
        help="in-process, time Flask's test client rather than the WSGI call",
    )
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    # Warnings are written as with no logging set up (the Procfile's gunicorn), to nowhere.
    quiet = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as we do)
    quiet.setLevel(logging.WARNING)
    logging.getLogger("ivr").addHandler(quiet)
    procfile_args, source = procfile_command()
    header(plan, args, server_command(procfile_args, "<free port>", OUR_APP_SPEC), source)
    apps = build_apps()
    hooks = webhooks(apps[SIGNED])
    verdicts: dict[str, bool] = {}
    results: dict[str, dict[str, Sample]] = {}
    pooled: dict[str, Sample] = {}
    best: dict[str, Sample] = {}

    if args.only != "http":
        print("\n== In-process: one request after another, signed as Twilio signs")
        results = run_in_process(apps, hooks, plan, args.test_client)
        pooled = print_in_process(results)
    if args.only != "in-process":
        print(
            "\n== Over HTTP: the Procfile's gunicorn, an equal mix of the seven kinds", flush=True
        )
        best = run_http(procfile_args, [webhooks(apps[SIGNED], call) for call in range(16)], plan)
        print_http(best)

    print("\n== Verdict: the helpline with signatures checked, against the minimal app")
    if args.only != "http":
        verdicts["in-process"] = verdict("in-process, all kinds", pooled[SIGNED], pooled[MINIMAL])
    if args.only != "in-process":
        verdicts["http"] = verdict(
            "over HTTP (the Procfile's gunicorn)", best[SIGNED], best[MINIMAL]
        )
    if not all(verdicts.values()):
        print("\n== Where the time goes (in-process profile)")
        if not results:  # --only http: a short in-process run to profile
            results = run_in_process(apps, hooks, QUICK, test_client=False)
        where_the_time_goes(results, apps, hooks, plan.requests)


if __name__ == "__main__":
    if str(ROOT) not in sys.path:  # run as a script: make `benchmarks.minimal_app` importable
        sys.path.insert(0, str(ROOT))
    main()
