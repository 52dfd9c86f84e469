"""when each session last proved the password, and with which methods (auth_time and amr)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 07:00:00

Access tokens carry the session's `auth_time` and `amr` (RFC 8176), kept on the session row so a
refresh carries them on. Sessions opened before this revision proved the password at their login
and nothing else: they get their `created_at` and "pwd".
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auth_sessions") as batch_op:
        batch_op.add_column(sa.Column("authenticated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("amr", sa.String(length=64), nullable=True))
    sessions = sa.table(
        "auth_sessions",
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("authenticated_at", sa.DateTime(timezone=True)),
        sa.column("amr", sa.String(length=64)),
    )
    op.execute(sessions.update().values(authenticated_at=sessions.c.created_at, amr="pwd"))
    with op.batch_alter_table("auth_sessions") as batch_op:
        batch_op.alter_column("authenticated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column("amr", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("auth_sessions") as batch_op:
        batch_op.drop_column("amr")
        batch_op.drop_column("authenticated_at")
