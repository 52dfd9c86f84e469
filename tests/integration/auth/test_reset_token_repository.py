"""The reset token repository on SQLite and PostgreSQL: a reset spends exactly the account's
outstanding tokens, and a token is found by its hash only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import PasswordResetToken
from app.auth.reset_tokens import SqlResetTokenRepository
from app.users.models import User
from app.users.repository import SqlUserRepository
from tests.integration.users.factories import new_user

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=1)


def stored_user(session: Session) -> User:
    user = new_user()
    SqlUserRepository(session).add(user)
    return user


def issue(
    tokens: SqlResetTokenRepository, user: User, token_hash: str, *, used_at: datetime | None = None
) -> None:
    tokens.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=token_hash,
            password_fingerprint="f" * 64,
            created_at=EARLIER,
            expires_at=NOW + timedelta(hours=1),
            used_at=used_at,
        )
    )


def used_at_by_hash(session: Session) -> dict[str, datetime | None]:
    session.expire_all()
    rows = session.execute(sa.select(PasswordResetToken.token_hash, PasswordResetToken.used_at)).all()
    return dict(rows)


def test_use_all_for_user_spends_every_outstanding_token_of_the_user_and_no_other(session: Session) -> None:
    tokens = SqlResetTokenRepository(session)
    owner, stranger = stored_user(session), stored_user(session)
    issue(tokens, owner, "a" * 64)
    issue(tokens, owner, "b" * 64)
    issue(tokens, owner, "c" * 64, used_at=EARLIER)
    issue(tokens, stranger, "d" * 64)

    spent = tokens.use_all_for_user(owner.id, now=NOW)

    assert spent == 2
    assert used_at_by_hash(session) == {"a" * 64: NOW, "b" * 64: NOW, "c" * 64: EARLIER, "d" * 64: None}


def test_find_for_use_finds_a_token_by_its_hash_only(session: Session) -> None:
    tokens = SqlResetTokenRepository(session)
    owner = stored_user(session)
    issue(tokens, owner, "a" * 64)

    found = tokens.find_for_use("a" * 64)

    assert found is not None
    assert (found.user_id, found.used_at) == (owner.id, None)
    assert tokens.find_for_use("b" * 64) is None
