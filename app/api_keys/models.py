"""An API key as stored: its keyed hash and a short public prefix, never the key itself."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from uuid6 import uuid7

from app.domain.clock import utcnow
from app.persistence.base import Base

NAME_MAX_LENGTH = 100


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        # An owner's keys, newest first with id as tie-breaker: the listing, and the live-key count.
        sa.Index("ix_api_keys_owner_id_created_at_id", "owner_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    # Deleting the owner deletes their keys with them.
    owner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX_LENGTH))
    # HMAC-SHA256 of the whole key (app.domain.api_keys.ApiKeyHasher), hex: every lookup's one index.
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    # Space-separated, sorted: `audit:read users:read`.
    scopes: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()
