"""Account rules: creation, reads, updates and deletion, with the policy applied to each."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from uuid6 import uuid7

from app.domain.attempts import SessionAttemptBudget, TooManyAttempts
from app.domain.audit import AuditTrail
from app.domain.clock import utcnow
from app.domain.emails import mask_email, normalize_email
from app.domain.errors import InvalidInput
from app.domain.outbox import Outbox
from app.domain.pagination import Cursor, Page, page_of
from app.domain.passwords import PasswordHasher, is_common
from app.domain.principal import Principal
from app.domain.reauthentication import DEFAULT_MAX_AGE, InvalidCurrentPassword, ensure_recent
from app.domain.unit_of_work import UnitOfWork
from app.domain.versions import ExpectedVersion
from app.mail.messages import SEND_MAIL, mail_job
from app.mail.notices import PASSWORD_CHANGED, addressee, security_notice
from app.users import policy
from app.users.errors import InvalidVerificationToken, LastAdmin, UserNotFound
from app.users.models import User
from app.users.repository import UserRepository
from app.users.verification import EmailVerification


class SessionRevoker(Protocol):
    """What the users domain needs from sessions: cut a user's other sessions off."""

    def revoke_all_for_user(
        self, user_id: uuid.UUID, *, except_session_id: uuid.UUID | None, reason: str, now: datetime
    ) -> int: ...


class ResetLinkRevoker(Protocol):
    """What the users domain needs from password reset: void every link mailed to the account."""

    def use_all_for_user(self, user_id: uuid.UUID, *, now: datetime) -> int: ...


class UsersUnitOfWork(UnitOfWork, Protocol):
    """The repositories account rules read and write, in one transaction."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def sessions(self) -> SessionRevoker: ...

    @property
    def reset_tokens(self) -> ResetLinkRevoker: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def audit(self) -> AuditTrail: ...


@dataclass(frozen=True, kw_only=True)
class NewUser:
    email: str
    password: str
    name: str
    role: str = "user"


@dataclass(frozen=True, kw_only=True)
class UserChanges:
    values: dict[str, Any] = field(default_factory=dict)
    current_password: str | None = None

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(self.values)


def ensure_strong_password(password: str, *, field: str = "password") -> None:
    if is_common(password):
        raise InvalidInput("This password is too common; choose another.", field=field)


def audit_events_of(user: User, values: dict[str, Any]) -> list[str]:
    """The audit events a change makes: only fields whose value really changes."""
    events = []
    if "password" in values:
        events.append("password_changed")
    if "email" in values and normalize_email(values["email"]) != user.email_normalized:
        events.append("email_changed")
    if "role" in values and values["role"] != user.role:
        events.append("role_changed")
    if "is_active" in values and values["is_active"] != user.is_active:
        events.append("active_changed")
    return events


class UserService:
    def __init__(
        self,
        *,
        uow: UsersUnitOfWork,
        hasher: PasswordHasher,
        session_attempts: SessionAttemptBudget,
        verification: EmailVerification,
        reauth_max_age: timedelta = DEFAULT_MAX_AGE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._uow = uow
        self._reauth_max_age = reauth_max_age
        self._hasher = hasher
        self._session_attempts = session_attempts
        self._verification = verification
        self._clock = clock

    def register(self, new: NewUser) -> User:
        """Create an ordinary account for whoever asks."""
        return self._create(NewUser(email=new.email, password=new.password, name=new.name))

    def create(self, actor: Principal, new: NewUser) -> User:
        """Create an account of any role, as an admin."""
        policy.ensure_admin(actor)
        return self._create(new, actor_id=actor.user_id)

    def provision(self, new: NewUser) -> User:
        """Create an account of any role on an operator's word (the CLI), with no acting user."""
        return self._create(new)

    def seed(self, *, count: int, password: str, batch_size: int = 5000) -> int:
        """Bulk-create demo users sharing one password hash: hashing once keeps this fast."""
        ensure_strong_password(password)
        password_hash = self._hasher.hash(password)
        now = self._clock()
        tag = uuid.uuid4().hex[:8]
        with self._uow as uow:
            for start in range(0, count, batch_size):
                uow.users.bulk_insert(
                    self._seed_rows(range(start, min(start + batch_size, count)), tag, now, password_hash)
                )
            uow.commit()
        return count

    @staticmethod
    def _seed_rows(numbers: range, tag: str, now: datetime, password_hash: str) -> list[dict[str, Any]]:
        rows = []
        for n in numbers:
            email = f"user{n}.{tag}@example.com"
            rows.append(
                {
                    "id": uuid7(),
                    "email": email,
                    "email_normalized": email,
                    "name": f"User {n}",
                    "password_hash": password_hash,
                    "role": "user",
                    "is_active": True,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        return rows

    def get(self, actor: Principal, user_id: uuid.UUID) -> User:
        """Reads need no transaction boundary: the request's session ends at teardown."""
        policy.ensure_self_or_admin(actor, user_id)
        return self._get(user_id)

    def list(
        self,
        actor: Principal,
        *,
        limit: int,
        after: Cursor | None,
        role: str | None = None,
        is_active: bool | None = None,
    ) -> Page[User]:
        """List users newest first, one keyset page at a time."""
        policy.ensure_admin(actor)
        rows = self._uow.users.list_page(limit=limit + 1, after=after, role=role, is_active=is_active)
        return page_of(rows, limit)

    def update(
        self,
        actor: Principal,
        user_id: uuid.UUID,
        changes: UserChanges,
        *,
        expected_version: ExpectedVersion | None = None,
    ) -> User:
        try:
            return self._update(actor, user_id, changes, expected_version=expected_version)
        except (InvalidCurrentPassword, TooManyAttempts) as refused:
            # The change's transaction is gone; the refused check is recorded in one of its own.
            wrong = isinstance(refused, InvalidCurrentPassword)
            event = "current_password_wrong" if wrong else "password_check_refused"
            with self._uow as uow:
                uow.audit.record(event, actor_id=actor.user_id, subject_id=user_id, now=self._clock())
                uow.commit()
            raise

    def _update(
        self,
        actor: Principal,
        user_id: uuid.UUID,
        changes: UserChanges,
        *,
        expected_version: ExpectedVersion | None,
    ) -> User:
        policy.ensure_self_or_admin(actor, user_id)
        policy.ensure_may_change(actor, changes.fields)
        with self._uow as uow:
            user = self._get(user_id)
            if expected_version is not None:
                expected_version.ensure_current(user.version)
            if policy.needs_current_password(actor, user_id, changes.fields):
                self._check_current_password(actor, user, changes.current_password)
            if policy.removes_an_admin(
                role=user.role,
                is_active=user.is_active,
                new_role=changes.values.get("role"),
                new_is_active=changes.values.get("is_active"),
            ):
                self._ensure_not_last_admin()
            if "password" in changes.values:
                ensure_strong_password(changes.values["password"])
            now = self._clock()
            old_email, old_verified = user.email, user.email_verified
            events = audit_events_of(user, changes.values)
            self._apply(user, changes.values)
            user.updated_at = now
            uow.users.flush()
            if user.email_normalized != normalize_email(old_email):
                self._announce_email_change(user, old_email, old_verified, now)
            if "password" in changes.values:
                notice = security_notice(
                    PASSWORD_CHANGED, to=old_email, name=addressee(user.name, verified=old_verified), when=now
                )
                uow.outbox.add(SEND_MAIL, notice, now=now)
            for event in events:
                uow.audit.record(event, actor_id=actor.user_id, subject_id=user.id, now=now)
            if "password" in changes.values or changes.values.get("is_active") is False:
                keep = actor.session_id if actor.user_id == user_id else None
                uow.sessions.revoke_all_for_user(
                    user.id, except_session_id=keep, reason="credentials_changed", now=now
                )
            uow.commit()
        return user

    def delete(
        self, actor: Principal, user_id: uuid.UUID, *, expected_version: ExpectedVersion | None = None
    ) -> None:
        policy.ensure_self_or_admin(actor, user_id)
        if policy.needs_recent_authentication(actor, user_id):
            ensure_recent(actor, now=self._clock(), max_age=self._reauth_max_age)
        with self._uow as uow:
            user = self._get(user_id)
            if expected_version is not None:
                expected_version.ensure_current(user.version)
            if user.role == "admin" and user.is_active:
                self._ensure_not_last_admin()
            uow.users.delete(user)
            uow.audit.record("user_deleted", actor_id=actor.user_id, subject_id=user_id, now=self._clock())
            uow.commit()

    def end_sessions(self, actor: Principal, user_id: uuid.UUID) -> int:
        """End every session of a user, as an admin: their tokens stop working at once."""
        policy.ensure_admin(actor)
        with self._uow as uow:
            self._get(user_id)
            now = self._clock()
            ended = uow.sessions.revoke_all_for_user(user_id, except_session_id=None, reason="admin", now=now)
            uow.audit.record("sessions_ended_by_admin", actor_id=actor.user_id, subject_id=user_id, now=now)
            uow.commit()
        return ended

    def _create(self, new: NewUser, *, actor_id: uuid.UUID | None = None) -> User:
        ensure_strong_password(new.password)
        now = self._clock()
        user = User(
            email=new.email.strip(),
            email_normalized=normalize_email(new.email),
            name=new.name,
            role=new.role,
            is_active=True,
            email_verified=False,
            password_hash=self._hasher.hash(new.password),
            created_at=now,
            updated_at=now,
        )
        with self._uow as uow:
            uow.users.add(user)
            uow.audit.record("user_created", actor_id=actor_id, subject_id=user.id, now=now)
            uow.outbox.add(SEND_MAIL, self._verification.mail(user_id=user.id, email=user.email), now=now)
            uow.commit()
        return user

    def verify_email(self, token: str) -> None:
        """Mark the address verified, if the token proves the address the account has now."""
        claim = self._verification.tokens.read(token)
        with self._uow as uow:
            user = uow.users.get(claim.user_id)
            if user is None or not self._verification.tokens.proves(claim, user.email_normalized):
                raise InvalidVerificationToken()
            if not user.email_verified:
                now = self._clock()
                user.email_verified = True
                user.updated_at = now
                uow.users.flush()
                uow.audit.record("email_verified", actor_id=user.id, subject_id=user.id, now=now)
                uow.commit()

    def resend_verification(self, actor: Principal) -> None:
        """Mail a new verification link to the caller's address, unless it is verified already."""
        with self._uow as uow:
            user = self._get(actor.user_id)
            if user.email_verified:
                return
            uow.outbox.add(
                SEND_MAIL,
                self._verification.mail(user_id=user.id, email=user.email),
                now=self._clock(),
            )
            uow.commit()

    def _announce_email_change(self, user: User, old_email: str, old_verified: bool, now: datetime) -> None:
        """The new address must prove itself; the old one hears of the change, in case it was not
        theirs; and no reset link mailed to the old address works any more."""
        user.email_verified = False
        self._uow.reset_tokens.use_all_for_user(user.id, now=now)
        self._uow.outbox.add(SEND_MAIL, self._verification.mail(user_id=user.id, email=user.email), now=now)
        notice = {"name": addressee(user.name, verified=old_verified), "new_address": mask_email(user.email)}
        self._uow.outbox.add(SEND_MAIL, mail_job("email_changed", to=old_email, context=notice), now=now)

    def _get(self, user_id: uuid.UUID) -> User:
        user = self._uow.users.get(user_id)
        if user is None:
            raise UserNotFound()
        return user

    def _check_current_password(self, actor: Principal, user: User, current_password: str | None) -> None:
        """Check the caller's own password against the budget of the caller's session.

        Never the account's shared login budget: a stranger spending that one with wrong logins
        must not block the signed-in owner's changes. A stolen access token is no unthrottled
        oracle either: its session's budget is small, and only the password opens a new session.
        """
        if current_password is None:
            raise InvalidInput("Required to change your email or password.", field="current_password")
        account, session = user.email_normalized, str(actor.signed_in_session)
        self._session_attempts.spend(account, session)
        if not self._hasher.verify(user.password_hash, current_password):
            raise InvalidCurrentPassword()
        self._session_attempts.refund(account, session)

    def _ensure_not_last_admin(self) -> None:
        if self._uow.users.count_active_admins(lock=True) <= 1:
            raise LastAdmin()

    def _apply(self, user: User, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name == "password":
                user.password_hash = self._hasher.hash(value)
            elif name == "email":
                user.email = value.strip()
                user.email_normalized = normalize_email(value)
            else:
                setattr(user, name, value)
