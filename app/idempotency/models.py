"""An Idempotency-Key's record, when keys are kept in the database (no REDIS_URL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.persistence.base import Base


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    # HMAC of the caller's scope and the key: never the key itself.
    # HMAC of the request (password fields HMAC'd first): no unkeyed digest of the body.
    key_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    # The running request's random token; null once its response is stored.
    owner: Mapped[str | None] = mapped_column(sa.String(32))
    locked_until: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    response_status: Mapped[int | None]
    response_headers: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    response_body: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
