"""Calls from the practice phones are marked, so that staff figures can leave them out; so are
the call backs booked on them, so that nobody rings a tester's number.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The server default fills the rows already there: every call so far counts as real.
    op.add_column(
        "calls",
        sa.Column("practice", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    # Batch mode: SQLite cannot change a table's constraints, so the table is copied.
    with op.batch_alter_table("callbacks") as batch:
        batch.add_column(
            sa.Column("practice", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        # One open request per number and kind: a practice request never stands for a real one.
        batch.drop_constraint("uq_callbacks_number", type_="unique")
        batch.create_unique_constraint("uq_callbacks_number_practice", ["number", "practice"])


def downgrade() -> None:
    # Older releases would list practice call backs as real ones, to be rung: they go.
    callbacks = sa.table("callbacks", sa.column("practice", sa.Boolean()))
    op.execute(sa.delete(callbacks).where(callbacks.c.practice.is_(True)))
    # Batch mode: SQLite before 3.35 cannot drop a column, so the table is copied without it.
    with op.batch_alter_table("callbacks") as batch:
        batch.drop_constraint("uq_callbacks_number_practice", type_="unique")
        batch.create_unique_constraint("uq_callbacks_number", ["number"])
        batch.drop_column("practice")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("practice")
