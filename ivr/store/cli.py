"""The database's commands: `ivr db upgrade`, `ivr callbacks`, `ivr purge`, `ivr staff ...`."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import click

from ivr.config import ConfigError, Settings, load_settings
from ivr.store.waiting import age

if TYPE_CHECKING:  # the store (SQLAlchemy, Alembic) is imported when a command runs
    from ivr.store import CallbackRequest, Store
    from ivr.store.voicemails import TwilioAccount

# Commands wait longer than a webhook may: nobody is on the phone.
CLI_TIMEOUT = 10.0


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


@contextmanager
def opened() -> Iterator[tuple[Settings, Store]]:
    """The settings and the store, as `ivr serve` would open them; closed at the end."""
    from ivr.store import Store, StoreUnavailable

    try:
        settings = load_settings(dict(os.environ), development=True)
    except ConfigError as error:
        _fail(str(error))
    store = Store(settings.database_url, settings.secret_key, write_timeout=CLI_TIMEOUT)
    try:
        yield settings, store
    except StoreUnavailable as error:
        _fail(f"The database did not answer: {error}")
    finally:
        store.close(timeout=CLI_TIMEOUT)


def shown_url(database_url: str) -> str:
    """The database's URL without its password."""
    from sqlalchemy.engine import make_url

    from ivr.store.connection import sqlalchemy_url

    return make_url(sqlalchemy_url(database_url)).render_as_string(hide_password=True)


@click.group()
def db() -> None:
    """The database's schema."""
    # Alembic announces each of its plugins at INFO: noise around the line that matters.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


@db.command()
def upgrade() -> None:
    """Create or migrate the tables to the newest schema (the Procfile's release step)."""
    with opened() as (settings, store):
        store.upgrade()
        click.echo(
            f"The database is at revision {store.current_revision()}, the newest: "
            f"{shown_url(settings.database_url)}"
        )


@db.command()
def current() -> None:
    """Say which schema revision the database is at; exit 1 unless it is the newest."""
    from ivr.store import head_revision

    with opened() as (settings, store):
        found, newest = store.current_revision(), head_revision()
    where = shown_url(settings.database_url)
    if found == newest:
        click.echo(f"The database is at revision {found}, the newest: {where}")
        return
    _fail(f"The database is at revision {found or 'none'}, not {newest}: run `ivr db upgrade`")


@db.command()
@click.argument("message")
@click.option("--empty", is_flag=True, help="Do not compare the tables with ivr/store/tables.py.")
def revision(message: str, empty: bool) -> None:
    """Write a new migration in ivr/store/migrations/versions/ (for developers; upgrade first)."""
    from alembic import command

    from ivr.store.upgrade import MIGRATIONS, alembic_config

    number = len(list((MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))) + 1
    with opened() as (_, store), store.engine.begin() as connection:
        script = command.revision(
            alembic_config(connection),
            message,
            autogenerate=not empty,
            rev_id=f"{number:04d}",
        )
    click.echo(f"Wrote {getattr(script, 'path', script)}: check it before committing.")


@click.command()
@click.option("--done", "done_id", type=int, default=None, help="Mark request ID done.")
def callbacks(done_id: int | None) -> None:
    """List open callback requests, oldest first, or mark one done (its number is deleted)."""
    with opened() as (_, store):
        if done_id is not None:
            if not store.mark_done(done_id):
                _fail(f"There is no open callback request {done_id} (see `ivr callbacks`).")
            click.echo(f"Callback request {done_id} is done; its number has been deleted.")
            return
        requests = store.open_callbacks()
        now = store.clock()
    if not requests:
        click.echo("No open callback requests.")
        return
    rows = [
        (
            str(r.id),
            age(now - r.created_at),
            _number_to_ring(r),
            r.language or "-",  # so that a nurse who speaks it rings back
            r.listening_to,
            "; ".join(r.reasons) or "-",
        )
        for r in requests
    ]
    header = ("ID", "WAITING", "NUMBER", "LANGUAGE", "LISTENING TO", "REASONS")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]

    def line(row: tuple[str, ...]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        return "  ".join([*cells, row[5]])

    click.echo(line(header))
    for row in rows:
        click.echo(line(row))
    click.echo(f"\n{len(rows)} open, oldest first. Mark one done: ivr callbacks --done ID")


def _number_to_ring(request: CallbackRequest) -> str:
    """The number, marked beside it when the request came from the practice phones."""
    return f"{request.number} (practice: do not ring)" if request.practice else request.number


@click.command()
def purge() -> None:
    """Delete calls, done callback requests, done voicemails, texts sent and answers to whether
    a call helped older than RETENTION_DAYS (default 90), each voicemail's recording at Twilio
    first, and sign-in attempts older than a day."""
    with opened() as (settings, store):
        now = store.clock()
        result = store.purge(now, settings.retention_days)
        voicemails = store.purge_voicemails(now, settings.retention_days, twilio_account(settings))
        attempts = store.purge_sign_in_attempts(now)
        texts = store.purge_texts(now, settings.retention_days)
        answers = store.purge_feedback(now, settings.retention_days)
    cutoff = now - dt.timedelta(days=settings.retention_days)
    click.echo(
        f"Deleted what is older than {settings.retention_days} days "
        f"(before {cutoff:%Y-%m-%d %H:%M} UTC): {result.calls} calls, "
        f"{result.call_events} call steps, {result.transfers} transfers, "
        f"{result.callbacks} done callback requests."
    )
    click.echo(
        f"Deleted {voicemails.voicemails} done voicemail(s) older than that, with "
        f"{voicemails.recordings} recording(s) deleted at Twilio."
    )
    if result.open_callbacks_kept:
        click.echo(
            f"{result.open_callbacks_kept} open callback request(s) are older than that and "
            "were kept, with their numbers: call them back, then `ivr callbacks --done ID`."
        )
    if voicemails.open_kept:
        click.echo(
            f"{voicemails.open_kept} voicemail(s) not marked done are older than that and were "
            "kept: listen to them on the staff site's Voicemails page."
        )
    click.echo(f"Deleted {attempts} sign-in attempt(s) older than a day.")
    click.echo(
        f"Deleted {texts} text(s) sent and {answers} answer(s) to whether a call helped, older "
        "than that, and the count of texts to each number before yesterday."
    )
    for why in voicemails.kept:
        click.echo(f"Kept {why}; the next purge tries again.", err=True)
    if voicemails.kept:
        # A recording kept past its retention is worth a failed job that someone sees.
        sys.exit(1)


def twilio_account(settings: Settings) -> TwilioAccount | None:
    """The Twilio account that holds the recordings, where the settings name one."""
    from ivr.store.voicemails import TwilioAccount

    return TwilioAccount.named(
        settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base_url
    )


@click.group()
def staff() -> None:
    """Staff access: accounts for the staff site, tokens for the API under /staff/api/."""


@staff.command("add")
@click.argument("name")
@click.password_option(help="The password (asked for, twice, if not given).")
def add(name: str, password: str) -> None:
    """Make a staff account NAME for the staff site; the password is kept as an Argon2 hash."""
    with opened() as (_, store):
        try:
            store.add_staff(name, password)
        except ValueError as error:
            _fail(str(error))
    click.echo(f"Staff account {name} made: sign in at /staff/.")


@staff.command("password")
@click.argument("name")
@click.password_option(help="The new password (asked for, twice, if not given).")
def change_password(name: str, password: str) -> None:
    """Change the password of staff account NAME; every session of theirs ends."""
    with opened() as (_, store):
        try:
            store.set_password(name, password)
        except ValueError as error:
            _fail(str(error))
    click.echo(f"The password for {name} is changed, and their sessions have ended.")


@staff.command()
@click.argument("name")
def remove(name: str) -> None:
    """Remove staff account NAME: its sessions end and its API tokens stop working."""
    with opened() as (_, store):
        try:
            tokens = store.remove_staff(name)
        except ValueError as error:
            _fail(str(error))
    click.echo(
        f"Staff account {name} removed: its sessions have ended, and its {tokens} API "
        "token(s) no longer work."
    )


@staff.command()
@click.argument("name", required=False)
@click.option(
    "--revoke",
    metavar="TOKEN",
    help="Revoke TOKEN (as it was shown when made), instead of making one.",
)
def token(name: str | None, revoke: str | None) -> None:
    """Make a staff API token for NAME, an account made with `ivr staff add`; or, with
    --revoke TOKEN, revoke one.

    A new token is shown once, and only its hash is kept. Removing the account
    (`ivr staff remove NAME`) revokes its tokens too.
    """
    if (name is None) == (revoke is None):
        raise click.UsageError("Give a NAME to make a token for, or --revoke TOKEN, not both.")
    if revoke is not None:
        with opened() as (_, store):
            if not store.revoke_token(revoke):
                _fail("There is no such token: nothing was revoked.")
        click.echo("The token is revoked: it no longer works.")
        return
    assert name is not None
    with opened() as (_, store):
        try:
            made = store.create_token(name, require_account=True)
        except ValueError:
            _fail(f"There is no staff account called {name!r}: make it with `ivr staff add`.")
    click.echo(made)
    click.echo(
        f"The token for {name}, shown once: keep it in a password manager. Send it as the "
        "header  Authorization: Bearer <token>",
        err=True,
    )


def register(group: click.Group) -> None:
    """Add the database's commands to the `ivr` command."""
    for command in (db, callbacks, purge, staff):
        group.add_command(command)
