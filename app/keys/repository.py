"""Signing keys, as SQL: few rows, read whole."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.keys.models import SigningKey

# The advisory lock a scheduled rotation holds: one number, the same in every process ("keel:rotate").
ROTATION_LOCK = 0x6B65656C_726F74


class SigningKeyRepository(Protocol):
    def all(self) -> Sequence[SigningKey]: ...
    def add(self, key: SigningKey) -> None: ...
    def retire(self, kids: Sequence[str], *, at: datetime) -> None: ...
    def revoke(self, kid: str, *, now: datetime) -> None: ...
    def lock_rotation(self) -> bool: ...


class SqlSigningKeyRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def all(self) -> Sequence[SigningKey]:
        return self._session.scalars(sa.select(SigningKey).order_by(SigningKey.created_at)).all()

    def add(self, key: SigningKey) -> None:
        self._session.add(key)
        self._session.flush()

    def retire(self, kids: Sequence[str], *, at: datetime) -> None:
        if kids:
            self._session.execute(
                sa.update(SigningKey)
                .where(SigningKey.kid.in_(kids), SigningKey.retires_at.is_(None))
                .values(retires_at=at)
                .execution_options(synchronize_session=False)
            )

    def revoke(self, kid: str, *, now: datetime) -> None:
        self._session.execute(
            sa.update(SigningKey)
            .where(SigningKey.kid == kid, SigningKey.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )

    def lock_rotation(self) -> bool:
        """Take the rotation lock for the rest of this transaction; False when another holds it.
        On PostgreSQL a transaction-level advisory lock, so of N workers checking at once one
        rotates; SQLite serves one process and needs none."""
        if self._session.get_bind().dialect.name != "postgresql":
            return True
        return bool(self._session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(ROTATION_LOCK))))
