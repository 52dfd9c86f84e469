"""Who is calling: the per-request lookup behind every access token, one query over the sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from app.auth.repository import SessionRepository
from app.domain.principal import Principal


def load_caller(
    sessions: SessionRepository,
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    now: datetime,
    auth_time: datetime | None = None,
    amr: tuple[str, ...] = (),
) -> Principal | None:
    """The caller, loaded fresh: a disabled or deleted user, or an ended session, gets nothing.

    `auth_time` and `amr` are the verified token's own: what this token proves, not what its
    session has proved since (a reauthentication issues a new token for that).
    """
    user = sessions.find_active_user(user_id=user_id, session_id=session_id, now=now)
    if user is None:
        return None
    return Principal(user_id=user.id, role=user.role, session_id=session_id, auth_time=auth_time, amr=amr)
