"""Login, refresh rotation with reuse detection, logout, and the per-request principal."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from uuid6 import uuid7

from app.auth.errors import AccountDisabled, InvalidCredentials, TokenExpired, TokenReused, TokenRevoked
from app.auth.models import AuthSession
from app.auth.repository import SessionRepository
from app.core.clock import utcnow
from app.core.passwords import PasswordHasher
from app.core.principal import Principal
from app.core.transaction import Transaction
from app.users.models import User
from app.users.repository import UserRepository


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - a scheme name, not a secret


@dataclass(frozen=True, slots=True)
class RefreshClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    jti: str


class TokenIssuer(Protocol):
    def issue(self, *, user_id: uuid.UUID, session_id: uuid.UUID, refresh_jti: str) -> TokenPair: ...


def token_hash(jti: str) -> str:
    return hashlib.sha256(jti.encode()).hexdigest()


def new_jti() -> str:
    return secrets.token_urlsafe(24)


class AuthService:
    def __init__(
        self,
        *,
        users: UserRepository,
        sessions: SessionRepository,
        tx: Transaction,
        hasher: PasswordHasher,
        issuer: TokenIssuer,
        refresh_ttl: timedelta,
        reuse_grace: timedelta = timedelta(0),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._tx = tx
        self._hasher = hasher
        self._issuer = issuer
        self._refresh_ttl = refresh_ttl
        self._reuse_grace = reuse_grace
        self._clock = clock

    def login(self, *, email: str, password: str) -> TokenPair:
        """Check the credentials and open a new session (a new refresh token family)."""
        user = self._users.get_by_email(email)
        if user is None:
            self._hasher.burn(password)
            raise InvalidCredentials()
        if not self._hasher.verify(user.password_hash, password):
            raise InvalidCredentials()
        if not user.is_active:
            raise AccountDisabled()
        if self._hasher.needs_rehash(user.password_hash):
            user.password_hash = self._hasher.hash(password)
        now = self._clock()
        jti = new_jti()
        session = AuthSession(
            id=uuid7(),
            user_id=user.id,
            refresh_token_hash=token_hash(jti),
            created_at=now,
            rotated_at=now,
            expires_at=now + self._refresh_ttl,
        )
        self._sessions.add(session)
        self._tx.commit()
        return self._issuer.issue(user_id=user.id, session_id=session.id, refresh_jti=jti)

    def refresh(self, claims: RefreshClaims) -> TokenPair:
        """Rotate the session's refresh token; a token already rotated revokes the whole family."""
        now = self._clock()
        jti = new_jti()
        rotated = self._sessions.rotate(
            claims.session_id,
            presented_hash=token_hash(claims.jti),
            new_hash=token_hash(jti),
            now=now,
            expires_at=now + self._refresh_ttl,
        )
        if rotated:
            self._tx.commit()
            return self._issuer.issue(user_id=claims.user_id, session_id=claims.session_id, refresh_jti=jti)
        session = self._sessions.get(claims.session_id)
        if session is None or session.revoked_at is not None:
            self._tx.rollback()
            raise TokenRevoked()
        if session.expires_at <= now:
            self._tx.rollback()
            raise TokenExpired()
        if self._is_concurrent_retry(session, token_hash(claims.jti), now):
            # The same client refreshing twice at once (two tabs, a retry): the winner's new tokens
            # stay valid and this request is simply refused.
            self._tx.rollback()
            raise TokenRevoked("This refresh token was just rotated; use the newest one.")
        # Signed by us for a live session, yet not its current token: a replay, treated as theft.
        self._sessions.revoke(claims.session_id, reason="reuse_detected", now=now)
        self._tx.commit()
        raise TokenReused()

    def purge_sessions(self, *, older_than: timedelta) -> int:
        """Forget sessions that ended (expired or revoked) longer ago than `older_than`."""
        purged = self._sessions.purge(ended_before=self._clock() - older_than)
        self._tx.commit()
        return purged

    def _is_concurrent_retry(self, session: AuthSession, presented_hash: str, now: datetime) -> bool:
        return session.previous_token_hash == presented_hash and now - session.rotated_at < self._reuse_grace

    def logout(self, principal: Principal) -> None:
        """Revoke the caller's session: its refresh token and every access token naming it."""
        self._sessions.revoke(principal.session_id, reason="logout", now=self._clock())
        self._tx.commit()

    def principal_for(self, *, user_id: uuid.UUID, session_id: uuid.UUID) -> Principal | None:
        """Load the caller fresh: a disabled or deleted user, or a revoked session, gets nothing."""
        caller = self.caller_for(user_id=user_id, session_id=session_id)
        return caller[0] if caller is not None else None

    def caller_for(self, *, user_id: uuid.UUID, session_id: uuid.UUID) -> tuple[Principal, User] | None:
        """The principal and the user row it was read from (one query proves user and session live)."""
        user = self._sessions.find_active_user(user_id=user_id, session_id=session_id, now=self._clock())
        if user is None:
            return None
        return Principal(user_id=user.id, role=user.role, session_id=session_id), user
