"""The database's schema: Alembic's migrations in ivr/store/migrations/, applied one upgrade
at a time (`ivr db upgrade`; a SQLite file is brought up to date when the app starts)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from ivr.store.connection import MAINTENANCE_TIMEOUT_MS, Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed number: PostgreSQL's advisory lock that lets one `ivr db upgrade` run at a time.
UPGRADE_LOCK = 4_815_162_342


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's settings, built here: no alembic.ini is needed, from any folder or install."""
    # Imported when needed: webhooks never migrate, and alembic is slow to import.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration's revision."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


class Migrations(Database):
    """The Store's schema: migrate it to the newest, and say which revision it is at."""

    def upgrade(self) -> None:
        """Migrate the database to the newest schema (what `ivr db upgrade` does)."""
        from alembic import command

        sqlite = self.dialect == "sqlite"
        with self.engine.connect() as connection:
            if sqlite:  # wait for another upgrade's lock as long as it may take
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {MAINTENANCE_TIMEOUT_MS}")
                connection.commit()
            try:
                with connection.begin():
                    # One upgrade at a time: workers or releases starting together must not race.
                    if sqlite:
                        connection.exec_driver_sql("BEGIN IMMEDIATE")
                    else:
                        self._maintenance(connection)
                        connection.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK}
                        )
                    command.upgrade(alembic_config(connection), "head")
            finally:
                if sqlite:  # the connection goes back to the pool for webhooks
                    timeout_ms = round(self.write_timeout * 1000)
                    connection.exec_driver_sql(f"PRAGMA busy_timeout = {timeout_ms}")

    def current_revision(self) -> str | None:
        """The database's schema revision; None before the first `ivr db upgrade`."""
        from alembic.runtime.migration import MigrationContext

        with self._database("reading the schema revision"), self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
