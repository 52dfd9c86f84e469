"""Account rules: creation, reads, updates and deletion, with the policy applied to each."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from uuid6 import uuid7

from app.core import etag
from app.core.clock import utcnow
from app.core.errors import InvalidInput, PreconditionFailed
from app.core.pagination import Cursor, Page
from app.core.passwords import PasswordHasher, is_common
from app.core.principal import Principal
from app.core.transaction import Transaction
from app.users import policy
from app.users.errors import InvalidCurrentPassword, LastAdmin, UserNotFound
from app.users.models import User
from app.users.repository import UserRepository, normalize_email


class SessionRevoker(Protocol):
    """What the users domain needs from sessions: cut a user's other sessions off."""

    def revoke_all_for_user(
        self, user_id: uuid.UUID, *, except_session_id: uuid.UUID | None, reason: str, now: datetime
    ) -> int: ...


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


def ensure_strong_password(password: str) -> None:
    if is_common(password):
        raise InvalidInput("This password is too common; choose another.", field="password")


class UserService:
    def __init__(
        self,
        *,
        users: UserRepository,
        tx: Transaction,
        hasher: PasswordHasher,
        sessions: SessionRevoker,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._users = users
        self._tx = tx
        self._hasher = hasher
        self._sessions = sessions
        self._clock = clock

    def register(self, new: NewUser) -> User:
        """Create an ordinary account for whoever asks."""
        return self._create(NewUser(email=new.email, password=new.password, name=new.name))

    def create(self, actor: Principal, new: NewUser) -> User:
        """Create an account of any role, as an admin."""
        policy.ensure_admin(actor)
        return self._create(new)

    def provision(self, new: NewUser) -> User:
        """Create an account of any role on an operator's word (the CLI), with no acting user."""
        return self._create(new)

    def seed(self, *, count: int, password: str, batch_size: int = 5000) -> int:
        """Bulk-create demo users sharing one password hash: hashing once keeps this fast."""
        ensure_strong_password(password)
        password_hash = self._hasher.hash(password)
        now = self._clock()
        tag = uuid.uuid4().hex[:8]
        for start in range(0, count, batch_size):
            rows = []
            for n in range(start, min(start + batch_size, count)):
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
            self._users.bulk_insert(rows)
        self._tx.commit()
        return count

    def get(self, actor: Principal, user_id: uuid.UUID) -> User:
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
        rows = self._users.list_page(limit=limit + 1, after=after, role=role, is_active=is_active)
        items = list(rows[:limit])
        has_more = len(rows) > limit
        last = items[-1] if items else None
        next_cursor = Cursor(created_at=last.created_at, id=last.id) if has_more and last else None
        return Page(items=items, next_cursor=next_cursor)

    def update(
        self,
        actor: Principal,
        user_id: uuid.UUID,
        changes: UserChanges,
        *,
        if_match: Sequence[str] | None = None,
    ) -> User:
        policy.ensure_self_or_admin(actor, user_id)
        policy.ensure_may_change(actor, changes.fields)
        user = self._get(user_id)
        self._check_precondition(user, if_match)
        if policy.needs_current_password(actor, user_id, changes.fields):
            self._check_current_password(user, changes.current_password)
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
        self._apply(user, changes.values)
        user.updated_at = now
        self._users.flush()
        if "password" in changes.values or changes.values.get("is_active") is False:
            keep = actor.session_id if actor.user_id == user_id else None
            self._sessions.revoke_all_for_user(
                user.id, except_session_id=keep, reason="credentials_changed", now=now
            )
        self._tx.commit()
        return user

    def delete(self, actor: Principal, user_id: uuid.UUID, *, if_match: Sequence[str] | None = None) -> None:
        policy.ensure_self_or_admin(actor, user_id)
        user = self._get(user_id)
        self._check_precondition(user, if_match)
        if user.role == "admin" and user.is_active:
            self._ensure_not_last_admin()
        self._users.delete(user)
        self._tx.commit()

    def _create(self, new: NewUser) -> User:
        ensure_strong_password(new.password)
        now = self._clock()
        user = User(
            email=new.email.strip(),
            email_normalized=normalize_email(new.email),
            name=new.name,
            role=new.role,
            is_active=True,
            password_hash=self._hasher.hash(new.password),
            created_at=now,
            updated_at=now,
        )
        self._users.add(user)
        self._tx.commit()
        return user

    def _get(self, user_id: uuid.UUID) -> User:
        user = self._users.get(user_id)
        if user is None:
            raise UserNotFound()
        return user

    @staticmethod
    def _check_precondition(user: User, if_match: Sequence[str] | None) -> None:
        if if_match is not None and not etag.matches(etag.etag_for(user.id, user.version), if_match):
            raise PreconditionFailed()

    def _check_current_password(self, user: User, current_password: str | None) -> None:
        if current_password is None:
            raise InvalidInput("Required to change your email or password.", field="current_password")
        if not self._hasher.verify(user.password_hash, current_password):
            raise InvalidCurrentPassword()

    def _ensure_not_last_admin(self) -> None:
        if self._users.count_active_admins(lock=True) <= 1:
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
