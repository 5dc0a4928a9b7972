"""Alembic's environment: migrate the connection the Store hands over (see Store.upgrade).

Run through `ivr db upgrade`; no alembic.ini is needed. Without a connection (the `alembic`
command, for writing a new migration) it connects to DATABASE_URL, or the default SQLite file.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from ivr.config import load_settings
from ivr.store.connection import make_engine
from ivr.store.tables import Base


def run(connection: Connection) -> None:
    """Run the migrations over one connection, in one transaction."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things: later migrations rebuild its tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


given: Connection | None = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    url = load_settings(dict(os.environ), development=True).database_url
    engine = make_engine(url, timeout=30.0)
    try:
        with engine.begin() as connection:
            run(connection)
    finally:
        engine.dispose()
