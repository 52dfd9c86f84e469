"""an absolute end for every session, and the client that last used it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Sessions opened before this revision end 90 days after their login, the default lifetime.
_DEFAULT_LIFETIME_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table("auth_sessions") as batch_op:
        batch_op.add_column(sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("client_address", sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column("user_agent", sa.String(length=256), nullable=True))
    sessions = sa.table(
        "auth_sessions",
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("ends_at", sa.DateTime(timezone=True)),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        end = sessions.c.created_at + sa.text(f"interval '{_DEFAULT_LIFETIME_DAYS} days'")
    else:
        end = sa.func.datetime(sessions.c.created_at, f"+{_DEFAULT_LIFETIME_DAYS} days")
    op.execute(sessions.update().values(ends_at=end))
    with op.batch_alter_table("auth_sessions") as batch_op:
        batch_op.alter_column("ends_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("auth_sessions") as batch_op:
        batch_op.drop_column("user_agent")
        batch_op.drop_column("client_address")
        batch_op.drop_column("ends_at")
