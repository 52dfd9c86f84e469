"""An audit event: ids and the request's context only, never a password, token, hash or address."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from uuid6 import uuid7

from app.persistence.base import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        # Newest first, id as tie-breaker: the keyset order of the listing.
        sa.Index("ix_audit_events_created_at_id", "created_at", "id"),
        sa.Index("ix_audit_events_actor_id_created_at", "actor_id", "created_at"),
        sa.Index("ix_audit_events_subject_id_created_at", "subject_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    event: Mapped[str] = mapped_column(sa.String(48), index=True)
    # No foreign keys: the trail outlives the accounts it names.
    actor_id: Mapped[uuid.UUID | None]
    subject_id: Mapped[uuid.UUID | None]
    client_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(256))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
