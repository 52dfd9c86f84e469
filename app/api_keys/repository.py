"""API keys, as SQL: the only api_keys code that touches the session."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.api_keys.models import ApiKey
from app.domain.pagination import Cursor
from app.persistence.keyset import newest_first
from app.users.models import User

# The key behind a presented hash, with its owner as they are now: one indexed query per request.
_LIVE_KEY = (
    sa.select(ApiKey, User)
    .join(User, User.id == ApiKey.owner_id)
    .where(
        ApiKey.key_hash == sa.bindparam("key_hash"),
        User.is_active.is_(True),
        sa.or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > sa.bindparam("now")),
    )
)


class ApiKeyRepository(Protocol):
    def get(self, api_key_id: uuid.UUID) -> ApiKey | None: ...
    def add(self, api_key: ApiKey) -> None: ...
    def delete(self, api_key: ApiKey) -> None: ...
    def lock_owner(self, owner_id: uuid.UUID) -> bool: ...
    def count_live(self, owner_id: uuid.UUID, *, now: datetime) -> int: ...
    def list_page(self, *, limit: int, after: Cursor | None, owner_id: uuid.UUID) -> Sequence[ApiKey]: ...
    def find_live(self, key_hash: str, *, now: datetime) -> tuple[ApiKey, User] | None: ...
    def touch(self, api_key_id: uuid.UUID, *, now: datetime, unless_since: datetime) -> bool: ...


class SqlApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, api_key_id: uuid.UUID) -> ApiKey | None:
        return self._session.get(ApiKey, api_key_id)

    def add(self, api_key: ApiKey) -> None:
        self._session.add(api_key)
        self._session.flush()

    def delete(self, api_key: ApiKey) -> None:
        self._session.delete(api_key)
        self._session.flush()

    def lock_owner(self, owner_id: uuid.UUID) -> bool:
        """Hold the owner's row until commit: creates for one owner count and insert one at a time."""
        statement = sa.select(User.id).where(User.id == owner_id).with_for_update()
        return self._session.scalars(statement).one_or_none() is not None

    def count_live(self, owner_id: uuid.UUID, *, now: datetime) -> int:
        statement = (
            sa.select(sa.func.count())
            .select_from(ApiKey)
            .where(
                ApiKey.owner_id == owner_id,
                sa.or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
            )
        )
        return int(self._session.scalar(statement) or 0)

    def list_page(self, *, limit: int, after: Cursor | None, owner_id: uuid.UUID) -> Sequence[ApiKey]:
        """One owner's keys, newest first; a seek on the owner's index."""
        statement = newest_first(ApiKey, limit=limit, after=after).where(ApiKey.owner_id == owner_id)
        return self._session.scalars(statement).all()

    def find_live(self, key_hash: str, *, now: datetime) -> tuple[ApiKey, User] | None:
        """The unexpired key with this hash and its active owner, or None."""
        row = self._session.execute(_LIVE_KEY, {"key_hash": key_hash, "now": now}).one_or_none()
        return None if row is None else (row[0], row[1])

    def touch(self, api_key_id: uuid.UUID, *, now: datetime, unless_since: datetime) -> bool:
        """Record a use, unless one was recorded since `unless_since`: at most one write a minute."""
        statement = (
            sa.update(ApiKey)
            .where(
                ApiKey.id == api_key_id,
                sa.or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= unless_since),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(self._session.execute(statement).rowcount)  # type: ignore[attr-defined]
