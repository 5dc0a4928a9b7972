"""Texts callers asked for (their kind and delivery, never the number), a day's texts to a
number (as a keyed hash with the day), and whether calls helped (by the part they followed).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Times are UTC; SQLite keeps them as text without a zone (ivr.store.tables.UTCDateTime).
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("message_sid", sa.String(64), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_texts"),
        sa.UniqueConstraint("call_sid", "kind", name="uq_texts_call_sid_kind"),
        sa.UniqueConstraint("message_sid", name="uq_texts_message_sid"),
    )
    op.create_index("ix_texts_call_sid", "texts", ["call_sid"])
    op.create_index("ix_texts_created_at", "texts", ["created_at"])
    op.create_table(
        "text_allowances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("number_hash", sa.String(64), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_text_allowances"),
        sa.UniqueConstraint("number_hash", name="uq_text_allowances_number_hash"),
    )
    op.create_index("ix_text_allowances_day", "text_allowances", ["day"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("part", sa.String(100), nullable=False),
        sa.Column("helped", sa.Boolean(), nullable=True),
        sa.Column("practice", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
    )
    op.create_index("ix_feedback_at", "feedback", ["at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_at", table_name="feedback")
    op.drop_table("feedback")
    op.drop_index("ix_text_allowances_day", table_name="text_allowances")
    op.drop_table("text_allowances")
    op.drop_index("ix_texts_created_at", table_name="texts")
    op.drop_index("ix_texts_call_sid", table_name="texts")
    op.drop_table("texts")
