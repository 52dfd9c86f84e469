"""Password reset tokens, as SQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import PasswordResetToken


class ResetTokenRepository(Protocol):
    def add(self, token: PasswordResetToken) -> None: ...
    def find_for_use(self, token_hash: str) -> PasswordResetToken | None: ...
    def use_all_for_user(self, user_id: uuid.UUID, *, now: datetime) -> int: ...


class SqlResetTokenRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, token: PasswordResetToken) -> None:
        self._session.add(token)
        self._session.flush([token])

    def find_for_use(self, token_hash: str) -> PasswordResetToken | None:
        """The token row, locked: two confirmations of one token cannot both pass."""
        statement = (
            sa.select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash).with_for_update()
        )
        return self._session.scalars(statement).one_or_none()

    def use_all_for_user(self, user_id: uuid.UUID, *, now: datetime) -> int:
        """Spend every outstanding token of the user: one reset ends all the links that were mailed."""
        statement = (
            sa.update(PasswordResetToken)
            .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(self._session.execute(statement).rowcount)  # type: ignore[attr-defined]
