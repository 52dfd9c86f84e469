"""An outbox message: a job recorded with the change that causes it, processed after the commit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from uuid6 import uuid7

from app.persistence.base import Base

STATUSES = ("pending", "done", "dead")


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'done', 'dead')", name="status"),
        # Serves the sweep for messages whose queue entry was lost: pending ones past their time.
        sa.Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    kind: Mapped[str] = mapped_column(sa.String(64))
    # Cleared once processed: a delivered mail's one-time token must not outlive its delivery.
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(8), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime]
    # The last failure, its class and a message with addresses masked: shown by `flask outbox dead`.
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
