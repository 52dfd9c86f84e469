"""Signing keys, as SQL: few rows, read whole."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.keys.models import SigningKey


class SigningKeyRepository(Protocol):
    def all(self) -> Sequence[SigningKey]: ...
    def add(self, key: SigningKey) -> None: ...
    def retire(self, kids: Sequence[str], *, at: datetime) -> None: ...
    def revoke(self, kid: str, *, now: datetime) -> None: ...


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
