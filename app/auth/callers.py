"""Who is calling: the per-request lookup behind every access token, one query over the sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from app.auth.repository import SessionRepository
from app.domain.principal import Principal


def load_caller(
    sessions: SessionRepository, *, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime
) -> Principal | None:
    """The caller, loaded fresh: a disabled or deleted user, or an ended session, gets nothing."""
    user = sessions.find_active_user(user_id=user_id, session_id=session_id, now=now)
    if user is None:
        return None
    return Principal(user_id=user.id, role=user.role, session_id=session_id)
