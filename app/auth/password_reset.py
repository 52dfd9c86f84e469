"""Password reset: a request that answers the same for every address, a one-time token by mail,
and a confirmation that changes the password and ends every session of the account.

The request only records an outbox job, whatever the address: looking the account up, issuing
the token and writing the mail happen in the worker, so neither the answer nor its timing says
whether an account exists or is disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from app.auth.errors import InvalidResetToken
from app.auth.models import PasswordResetToken
from app.auth.repository import SessionRepository
from app.auth.reset_tokens import ResetTokenRepository
from app.domain.attempts import AttemptBudget, LoginBudgets
from app.domain.audit import AuditTrail
from app.domain.clock import utcnow
from app.domain.emails import normalize_email
from app.domain.outbox import Outbox
from app.domain.passwords import PasswordHasher
from app.domain.unit_of_work import UnitOfWork
from app.mail.messages import SEND_MAIL
from app.mail.notices import PASSWORD_RESET, addressee, security_notice
from app.users.repository import UserRepository
from app.users.service import ensure_strong_password

RESET_REQUESTED = "auth.password_reset_requested"


class PasswordResetUnitOfWork(UnitOfWork, Protocol):
    @property
    def users(self) -> UserRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def reset_tokens(self) -> ResetTokenRepository: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def audit(self) -> AuditTrail: ...


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class PasswordResetService:
    def __init__(
        self,
        *,
        uow: PasswordResetUnitOfWork,
        hasher: PasswordHasher,
        requests_per_email: AttemptBudget,
        ttl: timedelta,
        link: Callable[[str], str],
        login_attempts: LoginBudgets | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._login_attempts = login_attempts
        self._uow = uow
        self._hasher = hasher
        self._requests_per_email = requests_per_email
        self._ttl = ttl
        self._link = link
        self._clock = clock

    def request(self, email: str) -> None:
        """Queue a reset for `email`; the same work and the same answer whether or not it is an account.

        Every request is audited first, in a transaction of its own, refused ones included; without
        looking the account up, so its timing says nothing either.
        """
        with self._uow as uow:
            uow.audit.record("password_reset_requested", actor_id=None, subject_id=None, now=self._clock())
            uow.commit()
        self._requests_per_email.spend(normalize_email(email))
        with self._uow as uow:
            uow.outbox.add(RESET_REQUESTED, {"email": email}, now=self._clock())
            uow.commit()

    def issue(self, uow: PasswordResetUnitOfWork, payload: Mapping[str, Any]) -> None:
        """The outbox handler of a request: a token and its mail, for an active account only."""
        user = uow.users.get_by_email(str(payload["email"]))
        if user is None or not user.is_active:
            return
        now = self._clock()
        token = secrets.token_urlsafe(32)
        uow.reset_tokens.add(
            PasswordResetToken(
                user_id=user.id,
                token_hash=digest(token),
                password_fingerprint=digest(user.password_hash),
                created_at=now,
                expires_at=now + self._ttl,
            )
        )
        context = {
            "name": addressee(user.name, verified=user.email_verified),
            "link": self._link(token),
            "valid_minutes": int(self._ttl.total_seconds() // 60),
        }
        uow.outbox.add(
            SEND_MAIL, {"template": "password_reset", "to": user.email, "context": context}, now=now
        )

    def confirm(self, token: str, new_password: str) -> None:
        """Set the new password and spend the token; a refused password leaves the token usable."""
        ensure_strong_password(new_password, field="new_password")
        new_hash = self._hasher.hash(new_password)
        now = self._clock()
        with self._uow as uow:
            row = uow.reset_tokens.find_for_use(digest(token))
            user = uow.users.get(row.user_id) if row is not None else None
            if (
                row is None
                or user is None
                or row.used_at is not None
                or row.expires_at <= now
                or not user.is_active
                or not secrets.compare_digest(row.password_fingerprint, digest(user.password_hash))
            ):
                raise InvalidResetToken()
            user.password_hash = new_hash
            user.updated_at = now
            uow.users.flush()
            uow.reset_tokens.use_all_for_user(user.id, now=now)
            uow.sessions.revoke_all_for_user(
                user.id, except_session_id=None, reason="password_reset", now=now
            )
            uow.audit.record("password_reset", actor_id=None, subject_id=user.id, now=now)
            name = addressee(user.name, verified=user.email_verified)
            notice = security_notice(PASSWORD_RESET, to=user.email, name=name, when=now)
            uow.outbox.add(SEND_MAIL, notice, now=now)
            uow.commit()
        if self._login_attempts is not None:
            # The owner proved control of the address: whatever strangers spent is forgotten.
            self._login_attempts.clear(user.email_normalized)
