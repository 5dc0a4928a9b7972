"""Staff sessions that can be ended, sign-in tries by client, and API tokens tied to accounts.

Each account gets a random session stamp, kept in its session cookies: a new stamp (signing
out, a changed password) ends every session made before it. Each sign-in try records its client,
so that many names tried from one client can be stopped. Each token records its account, so
that removing the account deletes its tokens; tokens already made are tied by name where an
account of that name exists, and all keep working.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("session_stamp", sa.String(32), nullable=True))
    # A stamp of its own for each account: sessions made before today's release have none in
    # their cookies, so their holders sign in again.
    users = sa.table("staff_users", sa.column("id", sa.Integer()), sa.column("session_stamp"))
    for user_id in connection.scalars(sa.select(users.c.id)).all():
        connection.execute(
            sa.update(users)
            .where(users.c.id == user_id)
            .values(session_stamp=secrets.token_hex(16))
        )
    # Batch mode: SQLite cannot make a column NOT NULL, so the table is copied. Nothing refers
    # to staff_users yet, so the copy deletes nothing.
    with op.batch_alter_table("staff_users") as batch:
        batch.alter_column("session_stamp", existing_type=sa.String(32), nullable=False)

    with op.batch_alter_table("sign_in_attempts") as batch:
        batch.add_column(sa.Column("client", sa.String(64), nullable=True))
        batch.create_index("ix_sign_in_attempts_client", ["client"])

    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("staff_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_api_tokens_staff_id_staff_users",
            "staff_users",
            ["staff_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index("ix_api_tokens_staff_id", ["staff_id"])
    tokens = sa.table("api_tokens", sa.column("name"), sa.column("staff_id", sa.Integer()))
    named = sa.table("staff_users", sa.column("id", sa.Integer()), sa.column("name"))
    connection.execute(
        sa.update(tokens).values(
            staff_id=sa.select(named.c.id).where(named.c.name == tokens.c.name).scalar_subquery()
        )
    )


def downgrade() -> None:
    # Tokens go back to being known by name only; sessions and tries lose what they gained.
    # The foreign key goes first, so that copying staff_users (SQLite) deletes no token.
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_index("ix_api_tokens_staff_id")
        batch.drop_constraint("fk_api_tokens_staff_id_staff_users", type_="foreignkey")
        batch.drop_column("staff_id")
    with op.batch_alter_table("sign_in_attempts") as batch:
        batch.drop_index("ix_sign_in_attempts_client")
        batch.drop_column("client")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("session_stamp")
