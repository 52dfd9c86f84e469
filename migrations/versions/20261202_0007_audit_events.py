"""the audit trail

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 21:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event", sa.String(length=48), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("client_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=256), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_created_at_id", "audit_events", ["created_at", "id"])
    op.create_index("ix_audit_events_actor_id_created_at", "audit_events", ["actor_id", "created_at"])
    op.create_index("ix_audit_events_subject_id_created_at", "audit_events", ["subject_id", "created_at"])
    op.create_index(op.f("ix_audit_events_event"), "audit_events", ["event"])


def downgrade() -> None:
    op.drop_table("audit_events")
