"""Unsaved users for repository tests: unique emails, any role, state or creation time."""

from __future__ import annotations

import uuid
from datetime import datetime

from app.domain.clock import utcnow
from app.users.models import User
from tests.support.accounts import unique_email


def new_user(
    *,
    email: str | None = None,
    role: str = "user",
    is_active: bool = True,
    created_at: datetime | None = None,
    user_id: uuid.UUID | None = None,
) -> User:
    email = email or unique_email(role)
    created_at = created_at or utcnow()
    return User(
        id=user_id or uuid.uuid4(),
        email=email,
        email_normalized=email.strip().lower(),
        name="Repository User",
        password_hash="not-a-real-hash",
        role=role,
        is_active=is_active,
        created_at=created_at,
        updated_at=created_at,
    )
