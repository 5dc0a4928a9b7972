"""Calls from the practice phones are marked, so that staff figures can leave them out.

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


def downgrade() -> None:
    # Batch mode: SQLite before 3.35 cannot drop a column, so the table is copied without it.
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("practice")
