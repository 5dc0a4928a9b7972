"""The journal no longer keeps what a caller keyed when it was more than one key (a phone number
for a call back, an entry code): `heard` says that a number was keyed. Rows written before are
scrubbed the same way. And journal events that could not be written are counted, in
`journal_losses`, for staff to see.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# What the webhooks now write in place of several keys (ivr.webhooks.views.heard_as).
KEYED = "keys:number"
# Two or more keys in a row, with or without the # that ended them: never kept.
_SEVERAL_KEYS = re.compile(r"^[0-9*#]{2,}$")


def upgrade() -> None:
    events = sa.table("call_events", sa.column("id", sa.Integer()), sa.column("heard", sa.String()))
    connection = op.get_bind()
    # Candidates are found in SQL (no regular expressions in SQLite), the keys told apart here.
    rows = connection.execute(
        sa.select(events.c.id, events.c.heard).where(sa.func.length(events.c.heard) > 1)
    )
    scrub = [row.id for row in rows if _SEVERAL_KEYS.match(row.heard or "")]
    for start in range(0, len(scrub), 500):
        connection.execute(
            sa.update(events).where(events.c.id.in_(scrub[start : start + 500])).values(heard=KEYED)
        )
    op.create_table(
        "journal_losses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("dropped", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_journal_losses"),
    )
    op.create_index("ix_journal_losses_at", "journal_losses", ["at"])


def downgrade() -> None:
    # The digits scrubbed are gone for good: there is nothing to put back.
    op.drop_index("ix_journal_losses_at", table_name="journal_losses")
    op.drop_table("journal_losses")
