"""Users, as SQL: the only users code that touches the session."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.domain.emails import normalize_email
from app.domain.pagination import Cursor
from app.persistence.keyset import newest_first_seeking, page_parameters
from app.persistence.write_errors import ConstraintErrors, translated
from app.users.errors import EmailTaken
from app.users.models import User

# What a broken constraint of this table means to the domain, by the constraint's name.
CONSTRAINT_ERRORS: ConstraintErrors = {"uq_users_email_normalized": EmailTaken}

# Built once: `Session.get` builds its statement anew on every call that misses the identity map.
_BY_ID = sa.select(User).where(User.id == sa.bindparam("user_id"))


@functools.cache
def _page_statement(*, after: bool, role: bool, is_active: bool) -> sa.Select[tuple[User]]:
    """The listing's statement for one filter shape, built once (a seek on ix_users_created_at_id)."""
    statement = newest_first_seeking(User, after=after)
    if role:
        statement = statement.where(User.role == sa.bindparam("role"))
    if is_active:
        statement = statement.where(User.is_active == sa.bindparam("is_active"))
    return statement


class UserRepository(Protocol):
    def get(self, user_id: uuid.UUID) -> User | None: ...
    def get_by_email(self, email: str) -> User | None: ...
    def add(self, user: User) -> None: ...
    def delete(self, user: User) -> None: ...
    def flush(self) -> None: ...
    def count_active_admins(self, *, lock: bool = False) -> int: ...
    def list_page(
        self, *, limit: int, after: Cursor | None, role: str | None, is_active: bool | None
    ) -> Sequence[User]: ...
    def bulk_insert(self, rows: Sequence[dict[str, Any]]) -> None: ...


class SqlUserRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, user_id: uuid.UUID) -> User | None:
        """As `Session.get`: a row the session already holds is returned without a query."""
        if self._session.identity_key(User, user_id) in self._session.identity_map:
            return self._session.get(User, user_id)
        return self._session.scalars(_BY_ID, {"user_id": user_id}).one_or_none()

    def get_by_email(self, email: str) -> User | None:
        statement = sa.select(User).where(User.email_normalized == normalize_email(email))
        return self._session.scalars(statement).one_or_none()

    def add(self, user: User) -> None:
        """Insert now, so a duplicate email surfaces here as EmailTaken, even under a race."""
        self._session.add(user)
        self.flush()

    def delete(self, user: User) -> None:
        self._session.delete(user)
        self.flush()

    def flush(self) -> None:
        """Write pending changes now, so a duplicate email or a stale version surfaces here."""
        with translated(self._session, CONSTRAINT_ERRORS):
            self._session.flush()

    def count_active_admins(self, *, lock: bool = False) -> int:
        """Count active admins; with `lock`, hold their rows so two demotions cannot both pass."""
        ids = sa.select(User.id).where(User.role == "admin", User.is_active.is_(True))
        if lock:
            return len(self._session.scalars(ids.order_by(User.id).with_for_update()).all())
        return self._session.scalar(sa.select(sa.func.count()).select_from(ids.subquery())) or 0

    def list_page(
        self, *, limit: int, after: Cursor | None, role: str | None, is_active: bool | None
    ) -> Sequence[User]:
        statement = _page_statement(
            after=after is not None, role=role is not None, is_active=is_active is not None
        )
        parameters = page_parameters(limit=limit, after=after)
        if role is not None:
            parameters["role"] = role
        if is_active is not None:
            parameters["is_active"] = is_active
        return self._session.scalars(statement, parameters).all()

    def bulk_insert(self, rows: Sequence[dict[str, Any]]) -> None:
        self._session.execute(sa.insert(User), list(rows))
