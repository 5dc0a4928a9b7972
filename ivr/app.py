"""The Flask application factory: settings, content and webhooks, built once at start-up."""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
from collections.abc import Callable, Mapping

from dotenv import load_dotenv
from flask import Flask, Request, redirect, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from twilio.request_validator import RequestValidator
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from ivr import health, logs
from ivr.audio import media
from ivr.audio.library import AudioLibrary
from ivr.call.engine import Engine, utc_now
from ivr.call.team import Ring
from ivr.config import Settings, load_settings
from ivr.content.load import Content, load_content
from ivr.numbers import Sealer
from ivr.practice import site as phone_site
from ivr.staff import api as staff_api
from ivr.staff import follow_ups as staff_follow_ups
from ivr.staff import site as staff_site
from ivr.store import Store
from ivr.webhooks import views
from ivr.webhooks.fallback import Fallback
from ivr.webhooks.helpline import Helpline, install
from ivr.webhooks.messaging import connect_follow_ups
from ivr.webhooks.paths import WebhookPaths
from ivr.webhooks.twiml import Voice, cached_renderer

log = logging.getLogger("ivr")
MAX_REQUEST_BYTES = 1024 * 1024


class NoSessionForCalls(SecureCookieSessionInterface):
    """Twilio's webhooks carry no cookies: skip opening a signed session for every one."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """No session for a webhook; the signed cookie's for every other request."""
        if views.is_webhook(request.path):
            return None  # Flask then uses its null session, at no cost
        return super().open_session(app, request)


def _log_to_stderr(level: str) -> None:
    """Under gunicorn nothing else sets up logging: the call log would be lost without this."""
    if not logging.getLogger().handlers and not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(level)


def create_app(
    config: Mapping[str, str] | None = None,
    *,
    development: bool = False,
    clock: Callable[[], dt.datetime] | None = None,
    store: Store | None = None,
) -> Flask:
    """Build the helpline. `config` replaces the environment (for tests); else env and .env.
    `clock` gives the time the call engine goes by (opening hours): the real one unless given.
    `store` is the database to use as it is, its caller's to migrate and close; else the app
    opens DATABASE_URL's.

    Raises ConfigError or ContentError, naming every problem, rather than start half-working.
    """
    if config is None:
        load_dotenv()
        config = os.environ
    settings = load_settings(config, development=development)
    logs.install()
    _log_to_stderr(settings.log_level)
    content = load_content(
        settings.content_dir,
        settings.service_name,
        settings.nurse_line_hours,
        run_by=settings.run_by,
        retention_days=settings.retention_days,
        service_names=settings.service_names,
        offered=settings.languages,
        unreviewed=settings.languages_unreviewed,
    )
    for warning in content.warnings:
        log.warning("%s", warning)
    app = _flask_app(settings)
    _add_views(app, settings.development)
    store = store or _open_store(settings)
    paths = views.webhook_paths(app)
    install(app, _helpline(settings, content, store, paths, clock or utc_now))
    connect_follow_ups(app)  # texts callers ask for, and whether calls helped
    return app


def _flask_app(settings: Settings) -> Flask:
    """Flask, set up for the helpline: its secret, request limits, sessions and proxies."""
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    # No form or page here takes more; the webhooks refuse far less (ivr.webhooks.signature).
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.session_interface = NoSessionForCalls()
    if settings.proxy_hops:
        # Behind a TLS-terminating proxy Twilio signs https://public-host/...; trust its headers.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.proxy_hops,
            x_proto=settings.proxy_hops,
            x_host=settings.proxy_hops,
            x_port=settings.proxy_hops,
        )
    return app


def _add_views(app: Flask, development: bool) -> None:
    """Every part of the site: the webhooks, audio, health, the staff site and the phone."""
    views.init_app(app)
    media.init_app(app)
    health.init_app(app)
    staff_api.init_app(app)
    staff_site.init_app(app, development)
    staff_follow_ups.init_app(app)
    phone_site.init_app(app)

    @app.get("/")
    def index() -> Response:
        """Newcomers land on the practice phone (staff sign in first outside development)."""
        return redirect(url_for("phone_site.page"))


def _open_store(settings: Settings) -> Store:
    """The database, brought up to date where it is a local file."""
    store = Store(settings.database_url, settings.secret_key)
    # Write what is still queued in the journal when the worker exits.
    atexit.register(store.close, timeout=2)
    if store.dialect == "sqlite":
        # A local file needs no release step: bring its tables up to date here. PostgreSQL is
        # migrated by `ivr db upgrade` (the Procfile's release step), never by a web process.
        store.upgrade()
    return store


def _audio(settings: Settings, content: Content) -> AudioLibrary | None:
    """The rendered prompts, unless every prompt is spoken with <Say> (PROMPT_AUDIO=say)."""
    if settings.prompt_audio == "say":
        return None
    # In "play" mode the files may live elsewhere (AUDIO_BASE_URL): trust the manifest.
    audio = AudioLibrary(
        content.languages,
        settings.paces,
        settings.tts_voice,
        settings.audio_dir,
        settings.audio_base_url,
        require_files=settings.prompt_audio == "auto",
    )
    found, wanted = audio.count()
    log.info("prompt audio: %d of %d recordings found in %s", found, wanted, settings.audio_dir)
    return audio


def _helpline(
    settings: Settings,
    content: Content,
    store: Store,
    paths: WebhookPaths,
    clock: Callable[[], dt.datetime],
) -> Helpline:
    """What the views need: the engine, the renderer, the fallback, the store."""
    engine = Engine(
        content.flow,
        settings.nurse_line_hours,
        settings.nurse_line_number,
        callbacks=store,
        sealer=Sealer(settings.secret_key),
        services=content.services,
        clock=clock,
        languages=content.languages,
        nurses=store,
        ring=Ring(settings.nurse_ring),
        ring_seconds=settings.nurse_ring_seconds,
        queue_limit_minutes=settings.queue_limit_minutes,
    )
    audio = _audio(settings, content)
    voice = Voice(
        content.languages,
        settings.say_voice,
        settings.dial_timeout,
        settings.paces,
        paths=paths,
        audio=audio,
    )
    validator = RequestValidator(settings.twilio_auth_token) if settings.twilio_auth_token else None
    if validator is None:
        log.warning(
            "DEVELOPMENT MODE: TWILIO_AUTH_TOKEN is not set, so webhook signatures are "
            "NOT checked. Never expose this server to the internet."
        )
    return Helpline(
        settings=settings,
        content=content,
        engine=engine,
        render=cached_renderer(voice),
        fallback=Fallback(
            settings,
            content.prompts,
            paths,
            content.languages[content.languages.first],
            {
                code: (content.languages.book(code), content.languages[code])
                for code in content.languages.others()
            },
        ),
        store=store,
        flow_picture=staff_site.FlowDrawing(content),
        validator=validator,
        audio=audio,
    )
