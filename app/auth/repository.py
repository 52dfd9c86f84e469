"""Refresh sessions, as SQL. Rotation is one conditional UPDATE, so concurrent refreshes cannot both win."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import AuthSession, methods_of, stored_methods
from app.domain.clients import Client
from app.users.models import User

CALLER_ROW = "keel.caller_row"

# Built once: every request runs it, and building the statement cost more CPU than running it.
_ACTIVE_CALLER = (
    sa.select(User)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        User.id == sa.bindparam("user_id"),
        User.is_active.is_(True),
        AuthSession.id == sa.bindparam("session_id"),
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > sa.bindparam("now"),
    )
)


@dataclass(frozen=True, slots=True)
class Rotation:
    """What a refresh carries on from its session: the new expiry, and the session's last proof."""

    expires_at: datetime
    authenticated_at: datetime
    amr: tuple[str, ...]


class SessionRepository(Protocol):
    def add(self, session: AuthSession) -> None: ...
    def get(self, session_id: uuid.UUID) -> AuthSession | None: ...
    def rotate(
        self,
        session_id: uuid.UUID,
        *,
        presented_hash: str,
        new_hash: str,
        now: datetime,
        expires_at: datetime,
        client: Client,
    ) -> Rotation | None: ...
    def reauthenticate(
        self, session_id: uuid.UUID, *, authenticated_at: datetime, amr: tuple[str, ...], now: datetime
    ) -> bool: ...
    def revoke(self, session_id: uuid.UUID, *, reason: str, now: datetime) -> None: ...
    def revoke_all_for_user(
        self, user_id: uuid.UUID, *, except_session_id: uuid.UUID | None, reason: str, now: datetime
    ) -> int: ...
    def find_active_user(
        self, *, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime
    ) -> User | None: ...
    def purge(self, *, ended_before: datetime) -> int: ...
    def list_live(self, user_id: uuid.UUID, *, now: datetime) -> Sequence[AuthSession]: ...
    def revoke_owned(
        self, session_id: uuid.UUID, *, user_id: uuid.UUID, reason: str, now: datetime
    ) -> bool: ...


class SqlSessionRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, session: AuthSession) -> None:
        self._session.add(session)
        self._session.flush()

    def get(self, session_id: uuid.UUID) -> AuthSession | None:
        return self._session.get(AuthSession, session_id)

    def rotate(
        self,
        session_id: uuid.UUID,
        *,
        presented_hash: str,
        new_hash: str,
        now: datetime,
        expires_at: datetime,
        client: Client,
    ) -> Rotation | None:
        """Swap the token hash only if the presented token is still the current one; return the new
        expiry (`expires_at`, or the session's absolute end if that comes first) with the session's
        last proof of the password, None if refused."""
        statement = (
            sa.update(AuthSession)
            .where(
                AuthSession.id == session_id,
                AuthSession.refresh_token_hash == presented_hash,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > now,
            )
            .values(
                previous_token_hash=AuthSession.refresh_token_hash,
                refresh_token_hash=new_hash,
                rotated_at=now,
                expires_at=sa.case(
                    (AuthSession.ends_at < expires_at, AuthSession.ends_at),
                    else_=sa.literal(expires_at, type_=AuthSession.expires_at.type),
                ),
                client_address=client.address,
                user_agent=client.user_agent,
            )
            .returning(AuthSession.expires_at, AuthSession.authenticated_at, AuthSession.amr)
            .execution_options(synchronize_session=False)
        )
        row = self._session.execute(statement).one_or_none()
        if row is None:
            return None
        return Rotation(
            expires_at=row.expires_at, authenticated_at=row.authenticated_at, amr=methods_of(row.amr)
        )

    def reauthenticate(
        self, session_id: uuid.UUID, *, authenticated_at: datetime, amr: tuple[str, ...], now: datetime
    ) -> bool:
        """Record a new proof of the password on a live session; False if it has ended meanwhile."""
        statement = (
            sa.update(AuthSession)
            .where(
                AuthSession.id == session_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > now,
            )
            .values(authenticated_at=authenticated_at, amr=stored_methods(amr))
            .execution_options(synchronize_session=False)
        )
        return bool(self._session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def revoke(self, session_id: uuid.UUID, *, reason: str, now: datetime) -> None:
        self._session.execute(
            sa.update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
            .execution_options(synchronize_session=False)
        )

    def revoke_all_for_user(
        self, user_id: uuid.UUID, *, except_session_id: uuid.UUID | None, reason: str, now: datetime
    ) -> int:
        statement = sa.update(AuthSession).where(
            AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
        )
        if except_session_id is not None:
            statement = statement.where(AuthSession.id != except_session_id)
        result = self._session.execute(
            statement.values(revoked_at=now, revoked_reason=reason).execution_options(
                synchronize_session=False
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def find_active_user(self, *, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime) -> User | None:
        """The user behind a token, in one query that also proves its session is live."""
        params = {"user_id": user_id, "session_id": session_id, "now": now}
        user = self._session.scalars(_ACTIVE_CALLER, params).one_or_none()
        # The identity map holds rows weakly; pinned to the session for its request, the caller's
        # row serves the view's own read of the same user without a second query.
        self._session.info[CALLER_ROW] = user
        return user

    def list_live(self, user_id: uuid.UUID, *, now: datetime) -> Sequence[AuthSession]:
        """The user's sessions that can still be used, the most recently used first."""
        statement = (
            sa.select(AuthSession)
            .where(
                AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None), AuthSession.expires_at > now
            )
            .order_by(AuthSession.rotated_at.desc(), AuthSession.id.desc())
        )
        return self._session.scalars(statement).all()

    def revoke_owned(self, session_id: uuid.UUID, *, user_id: uuid.UUID, reason: str, now: datetime) -> bool:
        """End a live session only if it belongs to `user_id`: another user's id ends nothing."""
        statement = (
            sa.update(AuthSession)
            .where(
                AuthSession.id == session_id,
                AuthSession.user_id == user_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > now,
            )
            .values(revoked_at=now, revoked_reason=reason)
            .execution_options(synchronize_session=False)
        )
        return bool(self._session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def purge(self, *, ended_before: datetime) -> int:
        """Delete sessions that expired or were revoked before the cut-off: they can never be used again."""
        statement = sa.delete(AuthSession).where(
            sa.or_(AuthSession.expires_at < ended_before, AuthSession.revoked_at < ended_before)
        )
        return int(self._session.execute(statement.execution_options(synchronize_session=False)).rowcount)  # type: ignore[attr-defined]
