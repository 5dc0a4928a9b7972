"""Shared fixtures: the real content, an app configured for tests, and a phone to call it."""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

from ivr import create_app
from ivr.audio.render import render_prompts
from ivr.call.engine import Engine
from ivr.config import Settings, load_settings
from ivr.content.hours import parse_hours
from ivr.content.load import Content, load_content
from ivr.practice.phone import Phone

ROOT = Path(__file__).resolve().parent.parent
# One SQLite file for the whole run, outside the project: tests never touch instance/.
_SCRATCH = tempfile.mkdtemp(prefix="ivr-tests-")
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)
TEST_DATABASE = Path(_SCRATCH) / "helpline.sqlite3"
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
SCREENSHOTS = Path(os.environ["IVR_SCREENSHOTS"]) if os.environ.get("IVR_SCREENSHOTS") else None
TOKEN = "test-auth-token-0123456789abcdef"
CALLER = "+442079460123"  # a valid UK number in Ofcom's range for drama
ENV = {
    "TWILIO_AUTH_TOKEN": TOKEN,
    "SECRET_KEY": "test-secret",
    "NURSE_LINE_NUMBER": "+441632960000",
    "SERVICE_RUN_BY": "the Test Cancer Trust",
    "NURSE_LINE_HOURS": "always",
    "NURSE_LINE_HOLIDAYS": "none",  # so that "always" holds on bank holidays too
    "CONTENT_DIR": str(ROOT),
    # Signatures are checked against this address: the test client's own.
    "PUBLIC_BASE_URL": "http://localhost",
    # Calls compare what is said; tests of rendered audio set their own audio folder and mode.
    "PROMPT_AUDIO": "say",
    "DATABASE_URL": f"sqlite:///{TEST_DATABASE}",
    # Commands run as processes import this tree's package, wherever the `ivr` script was
    # installed from.
    "PYTHONPATH": str(ROOT),
}


# The time calls are made at unless a test says otherwise: a weekday at noon, when the
# services in data/services.yaml keep their lines open.
WEEKDAY_NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def at_weekday_noon() -> dt.datetime:
    return WEEKDAY_NOON


@pytest.fixture(scope="session")
def content(settings: Settings) -> Content:
    """The project's real flow and prompts, loaded once."""
    return load_content(
        ROOT, settings.service_name, settings.nurse_line_hours, run_by=settings.run_by
    )


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(ENV)


@pytest.fixture(scope="session")
def rendered(
    tmp_path_factory: pytest.TempPathFactory, content: Content, settings: Settings
) -> Path:
    """Every prompt of the real content, rendered once at both paces (audio and phone tests)."""
    audio_dir = tmp_path_factory.mktemp("audio")
    summary = render_prompts(content.prompts, settings.paces, settings.tts_voice, audio_dir)
    assert summary.failed == {}
    return audio_dir


@pytest.fixture
def make_engine(content: Content) -> Callable[..., Engine]:
    """An engine over the real flow, with the nurse line open or closed as asked."""

    def make(hours: str = "always", number: str | None = "+441632960000") -> Engine:
        clock = lambda: dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)  # noqa: E731
        return Engine(content.flow, parse_hours(hours), number, clock, languages=content.languages)

    return make


@pytest.fixture
def make_app() -> Callable[..., Flask]:
    """Build the app from the test environment, with any settings changed."""

    def make(clock: Callable[[], dt.datetime] = at_weekday_noon, **changes: str) -> Flask:
        env = {**ENV, **changes}
        return create_app({k: v for k, v in env.items() if v is not None}, clock=clock)

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def phone(app: Flask) -> Phone:
    """A phone that calls the app in-process with signed requests, as Twilio would."""
    return Phone(app, auth_token=TOKEN, caller=CALLER)


def signed_post(
    client: FlaskClient,
    path: str,
    data: Mapping[str, str] | None = None,
    token: str = TOKEN,
    base: str = "http://localhost",
    headers: Mapping[str, str] | None = None,
) -> tuple[int, str, str]:
    """POST form data signed for base + path; returns (status, content type, body)."""
    params = {"CallSid": "CA" + "0" * 32, "From": CALLER, **(data or {})}
    signature = RequestValidator(token).compute_signature(base + path, params)
    response = client.post(
        path, data=params, headers={"X-Twilio-Signature": signature, **(headers or {})}
    )
    return response.status_code, response.mimetype, response.get_data(as_text=True)


class _Closing:
    """A response body that is closed when it is let go, if nobody closed it before."""

    def __init__(self, body: Iterable[bytes]) -> None:
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        close = getattr(self.body, "close", None)
        if close is not None:
            close()

    def __del__(self) -> None:
        self.close()


def _close_dropped_downloads(app: Flask) -> WSGIApplication:
    """Werkzeug's development server skips close() when a browser drops a download midway (an
    <audio> element given a new recording), leaving the file open; close it when let go."""

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return _Closing(app(environ, start_response))

    return wsgi


def missing(what: str) -> NoReturn:
    """A tool a test needs is not here: skip on a developer's machine, fail under CI (where
    .ci/run installs everything, so a skip would hide a broken install step)."""
    if IN_CI:
        pytest.fail(what)
    pytest.skip(what)


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app served over HTTP on loopback (threaded, as a browser needs); yields its address."""
    with served_wsgi(_close_dropped_downloads(app)) as base:
        yield base


@contextmanager
def served_wsgi(wsgi: Any) -> Iterator[str]:
    """Any WSGI application (a stand-in of Twilio's REST API too) served on loopback for as
    long as the block runs; yields its address."""
    http = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        http.server_close()
        thread.join()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        missing("Chromium is not installed at /usr/bin/chromium (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()


def no_violations(page: object, name: str) -> None:
    """axe-core finds nothing on the page; a screenshot is kept when asked for."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
