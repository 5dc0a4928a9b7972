"""The nurse line as a team: the rota, the legs that say which nurse is on a call, and the queue.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Times are UTC; SQLite keeps them as text without a zone (ivr.store.tables.UTCDateTime).
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "nurses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("hours", sa.String(200), nullable=False),
        sa.Column("off_until", sa.Date(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_nurses"),
    )
    op.create_table(
        "nurse_legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("nurse_key", sa.String(20), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("ended_at", TIME, nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_nurse_legs"),
    )
    op.create_index("ix_nurse_legs_call_sid", "nurse_legs", ["call_sid"])
    live = sa.text("ended_at IS NULL")
    op.create_index(
        "uq_nurse_legs_live",
        "nurse_legs",
        ["nurse_key"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )
    op.create_table(
        "queue_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("joined_at", TIME, nullable=False),
        sa.Column("listening_to", sa.String(200), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(1000), nullable=False),
        sa.Column("leaving_for", sa.String(20), nullable=True),
        sa.Column("left_at", TIME, nullable=True),
        sa.Column("left_how", sa.String(20), nullable=True),
        sa.Column("announced", sa.Integer(), nullable=False),
        sa.Column("practice", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_queue_entries"),
        sa.UniqueConstraint("call_sid", name="uq_queue_entries_call_sid"),
    )
    op.create_index("ix_queue_entries_joined_at", "queue_entries", ["joined_at"])


def downgrade() -> None:
    op.drop_table("queue_entries")
    op.drop_table("nurse_legs")
    op.drop_table("nurses")
