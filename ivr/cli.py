"""The `ivr` command: serve the helpline, check its content, and call it from a terminal.

Each command imports what it needs when it runs, so that `ivr --help` and the light commands
answer at once rather than after loading the web stack, the database and numpy.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import parse_qs, urlencode, urlsplit

import click
from dotenv import load_dotenv

from ivr import logs
from ivr.config import ConfigError, Settings, load_settings
from ivr.content.problems import ContentError
from ivr.practice.outcomes import OUTCOMES
from ivr.store import cli as store_cli

if TYPE_CHECKING:
    from flask import Flask

    from ivr.content.load import Content


def _command_name() -> str:
    """How to run `ivr` from here: the virtual environment's path when it is not on PATH."""
    here = Path(sys.argv[0])
    if shutil.which("ivr") == str(here.resolve()) or here.parent == Path():
        return "ivr"
    try:
        return str(here.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(here)


def _load() -> tuple[Settings, Content]:
    """The settings and the checked content, as the helpline loads them; exit 1 on a problem."""
    from ivr.content.load import load_content

    try:
        settings = load_settings(dict(os.environ), development=True)
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
    except (ConfigError, ContentError) as error:
        _fail(error)
    return settings, content


def _development_app() -> Flask:
    """The helpline as `ivr serve` runs it; exit 1 naming what is wrong if it cannot start."""
    from ivr.app import create_app
    from ivr.store import StoreUnavailable

    try:
        return create_app(development=True)
    except (ConfigError, ContentError, StoreUnavailable) as error:
        _fail(error)


def _fail(error: Exception) -> NoReturn:
    click.echo(str(error), err=True)
    sys.exit(1)


@click.group()
def main() -> None:
    """A telephone helpline on getting a second opinion."""
    load_dotenv()
    logs.install()
    level = os.environ.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Alembic says which database it found and how it migrates, a dozen lines on every command:
    # only when asked for (LOG_LEVEL=DEBUG).
    if level != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)


@main.command()
@click.option("--port", default=5000, show_default=True, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--render/--no-render",
    default=True,
    show_default=True,
    help="Render prompt audio beside the server (with PROMPT_AUDIO=auto).",
)
def serve(port: int, host: str, render: bool) -> None:
    """Serve the helpline in development mode (signatures checked only when a token is set).
    It answers at once: prompts not rendered yet are spoken with <Say> while they render."""
    from flask import url_for

    from ivr.webhooks.helpline import helpline

    app = _development_app()
    if render:
        _render_beside(app)
    base = (
        f"http://localhost:{port}" if host in ("127.0.0.1", "0.0.0.0") else f"http://{host}:{port}"
    )
    with app.test_request_context():
        phone, incoming = url_for("phone_site.page"), url_for("voice.incoming")
    click.echo(f"\nCall the helpline in your browser:   {base}{phone}")
    click.echo(f"Twilio's webhook for calls:          {base}{incoming} (development mode)")
    if helpline(app).validator is None:
        click.secho(
            "  WARNING: TWILIO_AUTH_TOKEN is not set, so signatures are NOT checked.\n"
            "  Do not expose this server to the internet.",
            fg="red",
            bold=True,
        )
    ivr = _command_name()
    click.echo(f"  Or call from another terminal:     {ivr} call --url {base}")
    click.echo(f"  Or without a server:               {ivr} call")
    click.echo(f'  A scripted call:                   {ivr} call --keys "2 1 1 0"\n')
    app.run(host=host, port=port, debug=False, use_reloader=False)


def _render_beside(app: Flask) -> None:
    """Render what is missing in a thread, each recording played as soon as it is checked."""
    from ivr.audio.background import BackgroundRender
    from ivr.webhooks.helpline import helpline

    found = helpline(app)
    if found.audio is None or found.settings.prompt_audio != "auto":
        return  # every prompt said with <Say>, or the files are served from elsewhere
    BackgroundRender(
        found.content.languages,
        found.settings.paces,
        found.settings.tts_voice,
        found.audio,
        say=lambda text: click.echo(text, err=True),
    ).start()


@main.command()
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The folder holding flows/ and prompts/ (default: CONTENT_DIR or the project).",
)
@click.option("--rules", "list_rules", is_flag=True, help="List the named rules and stop.")
def check(root: Path | None, list_rules: bool) -> None:
    """Check the flows and prompts as the helpline does at start-up, and print a summary."""
    from ivr.report import content_report

    if list_rules:
        from ivr.content.checks import RULES

        width = max(map(len, RULES))
        for name, what in RULES.items():
            click.echo(f"{name:<{width}}  {what}")
        return

    env = dict(os.environ)
    if root is not None:
        env["CONTENT_DIR"] = str(root)
    try:
        settings = load_settings(env, development=True)
        text, ok = content_report(settings, dt.date.today())
    except ConfigError as error:
        _fail(error)
    click.echo(text)
    sys.exit(0 if ok else 1)


@main.group()
def prompts() -> None:
    """Rendered prompt audio."""


@prompts.command("render")
@click.option("--workers", default=2, show_default=True, help="Worker processes at once.")
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    help="Seconds each prompt may take before its worker is stopped and retried.",
)
@click.option("--strict", is_flag=True, help="Exit 1 if any prompt could not be rendered.")
def render_command(workers: int, timeout: float, strict: bool) -> None:
    """Render every prompt of every offered language at both paces with pyttsx3, each language
    in its own voice; unchanged ones are reused."""
    from ivr.audio.render import plan, render_prompts

    settings, content = _load()
    # One job per file to render; the engine only names the files, so any name counts the same.
    jobs = plan(content.languages, settings.paces, settings.tts_voice, "", settings.audio_dir)
    total = len(jobs)
    with click.progressbar(length=total, label="Rendering prompts", file=sys.stderr) as bar:
        summary = render_prompts(
            content.languages,
            settings.paces,
            settings.tts_voice,
            settings.audio_dir,
            workers=workers,
            timeout=timeout,
            progress=bar.update,
        )
    click.echo("\n".join(summary.lines()))
    sys.exit(1 if strict and summary.failed else 0)


store_cli.register(main)


@main.command("codes")
def codes_command() -> None:
    """Print the entry codes: staff key * and a code to send a caller straight to a part."""
    from ivr.report import entry_codes

    _settings, content = _load()
    click.echo("\n".join(entry_codes(content)))


@main.command("graph")
@click.option(
    "--svg",
    "svg_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also draw an SVG here with Graphviz's dot, where it is installed.",
)
def graph_command(svg_path: Path | None) -> None:
    """Print the call flow as a Mermaid diagram (the README embeds it)."""
    import subprocess

    from ivr.report import dot, mermaid

    _settings, content = _load()
    click.echo("\n".join(mermaid(content)))
    if svg_path is not None:
        if shutil.which("dot") is None:
            _fail(RuntimeError("Graphviz's dot is not installed (apt-get install graphviz)"))
        subprocess.run(
            ["dot", "-Tsvg", "-o", str(svg_path)],
            input=dot(content),
            text=True,
            check=True,
            timeout=60,
        )
        click.echo(f"SVG written to {svg_path}", err=True)


@main.command("map")
def call_map_command() -> None:
    """Print the call as a tree of keys (the README's map of the call)."""
    from ivr.report import call_map

    _settings, content = _load()
    click.echo("\n".join(call_map(content)))


@main.command()
@click.option(
    "--keys",
    default=None,
    help='A scripted call: keys, "." for silence, words for speech, e.g. "2 1 . nurse".',
)
@click.option("--url", default=None, help="Call a running server instead of the app in-process.")
@click.option(
    "--dial",
    "dial_outcome",
    default="answered",
    show_default=True,
    type=click.Choice(list(OUTCOMES)),
    help="What happens when the helpline rings a person.",
)
@click.option(
    "--caller",
    default="+441632960001",
    show_default=True,
    help="The number the call comes from (never logged).",
)
@click.option(
    "--queue-place",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="The place the call joins a nurses' queue at (Twilio's QueuePosition).",
)
@click.option(
    "--speak", is_flag=True, help="Also say what the caller hears through the speakers (pyttsx3)."
)
@click.option(
    "--language",
    default="",
    help="The language the call starts in (cy-GB), as if its own number were rung; the line "
    "must offer it (LANGUAGES).",
)
def call(
    keys: str | None,
    url: str | None,
    dial_outcome: str,
    caller: str,
    queue_place: int,
    speak: bool,
    language: str,
) -> None:
    """A phone in the terminal: hear the helpline and press keys, as a caller would."""
    from ivr.practice.phone import Phone, TranscriptEntry, parse_keys, remote_captions
    from ivr.webhooks.helpline import helpline

    token = os.environ.get("TWILIO_AUTH_TOKEN") or None
    captions: Callable[[str], str | None] | None = None
    voices: dict[str, str] = {}  # each language's own voice, where the helpline is in-process
    if url is None:
        app = _development_app()
        logging.getLogger("ivr").setLevel(logging.WARNING)
        target: Flask | str = app
        audio = helpline(app).audio
        captions = audio.caption if audio else None
        languages = helpline(app).content.languages
        voices = {code: languages[code].render_voice for code in languages.others()}
    else:
        target = url.rstrip("/")
        # The server's recordings are shown by their words, as in-process, where it lists them.
        captions = remote_captions(target)
    on_event = None
    if speak:
        settings = load_settings(dict(os.environ), development=True)

        def on_event(event: TranscriptEntry) -> None:
            text = event.attrs.get("caption") if event.kind == "play" else event.text
            if event.kind in ("say", "play") and text:
                slow = "p=s" in event.url
                pace = settings.paces["slow" if slow else "normal"]
                # <Say> names its language; a recording's is the call's (l= in its URL).
                called_in = parse_qs(urlsplit(event.url).query).get("l", [""])[0]
                code = event.attrs.get("language") or called_in
                voice = voices.get(code, settings.tts_voice)
                _speak(text, voice, pace.engine_rate)

    phone = Phone(
        target,
        auth_token=token,
        caller=caller,
        dial_outcome=dial_outcome,
        queue_place=queue_place,
        printer=click.echo,
        captions=captions,
        on_event=on_event,
    )
    # The webhook's own URL names the language, as the phone page's does (?l=cy-GB).
    path = f"/voice/incoming?{urlencode({'l': language})}" if language else "/voice/incoming"
    if keys is not None:
        transcript = phone.call(parse_keys(keys), path=path)
    else:
        click.echo(
            "Keys 0-9, * and #, then Enter. Enter alone is silence; words are speech; q hangs up.\n"
        )
        transcript = phone.call(input_fn=lambda prompt: input(prompt), path=path)
    sys.exit(1 if transcript.errors() else 0)


def _speak(text: str, voice: str, rate: int) -> None:
    """Say text aloud in a worker process, so a hung engine (pyttsx3 #194) cannot stop the call."""
    import subprocess

    seconds = 10 + len(text.split())  # generous: a word takes well under a second
    try:
        subprocess.run(
            [sys.executable, "-m", "ivr.audio.worker", "speak", voice, str(rate)],
            input=text,
            text=True,
            timeout=seconds,
            capture_output=True,
            check=False,
        )
    except subprocess.TimeoutExpired:
        click.echo("  (the speech engine stopped answering; carrying on in text)", err=True)
