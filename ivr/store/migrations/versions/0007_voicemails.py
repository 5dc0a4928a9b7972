"""Voicemails: messages callers leave when no nurse can answer, with their recording at Twilio.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Times are UTC; SQLite keeps them as text without a zone (ivr.store.tables.UTCDateTime).
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "voicemails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("recording_sid", sa.String(64), nullable=True),
        sa.Column("recording_url", sa.String(300), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("listening_to", sa.String(200), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("done_at", TIME, nullable=True),
        sa.Column("deleted_at", TIME, nullable=True),
        sa.Column("practice", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "deleted_at IS NULL OR done_at IS NOT NULL",
            name="ck_voicemails_deleted_when_done",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_voicemails"),
        sa.UniqueConstraint("recording_sid", name="uq_voicemails_recording_sid"),
    )
    op.create_index("ix_voicemails_call_sid", "voicemails", ["call_sid"])
    op.create_index("ix_voicemails_created_at", "voicemails", ["created_at"])


def downgrade() -> None:
    # The recordings stay at Twilio: delete them there first (done ones go with `ivr purge`).
    op.drop_index("ix_voicemails_created_at", table_name="voicemails")
    op.drop_index("ix_voicemails_call_sid", table_name="voicemails")
    op.drop_table("voicemails")
