"""Repository contracts: one suite runs over each SQL repository (SQLite and PostgreSQL) and over the
fake that service unit tests use, so a fake cannot decide an outcome the real thing would not.

`Store` is what a contract test needs beyond the port: reading a row back as stored, and changing
the world behind the repository's back (another request deactivating a user, say).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, Protocol

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from app.auth.models import AuthSession
from app.auth.repository import SessionRepository, SqlSessionRepository
from app.extensions import db
from app.users.models import User
from app.users.repository import SqlUserRepository, UserRepository
from tests.fakes import FakeSessionRepository, FakeUserRepository


class Store(Protocol):
    users: UserRepository
    sessions: SessionRepository

    def reload(self, row: Any) -> Any: ...
    def forget(self) -> None: ...
    def commit(self) -> None: ...
    def deactivate(self, user: User) -> None: ...
    def bump_version_behind(self, user: User) -> None: ...
    def stored_version(self, user: User) -> int: ...
    def count_sessions(self, ids: list[uuid.UUID]) -> int: ...


class SqlStore:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.users = SqlUserRepository(session)
        self.sessions = SqlSessionRepository(session)

    def reload(self, row: Any) -> Any:
        """The row as stored: repositories write with Core statements that bypass loaded objects."""
        self.session.expire_all()
        fresh = self.session.get(type(row), row.id)
        assert fresh is not None
        return fresh

    def forget(self) -> None:
        self.session.expunge_all()

    def commit(self) -> None:
        self.session.commit()

    def deactivate(self, user: User) -> None:
        self.session.execute(sa.update(User).where(User.id == user.id).values(is_active=False))

    def bump_version_behind(self, user: User) -> None:
        self.session.execute(
            sa.update(User)
            .where(User.id == user.id)
            .values(version=User.version + 1)
            .execution_options(synchronize_session=False)
        )

    def stored_version(self, user: User) -> int:
        return int(self.session.scalar(sa.select(User.version).where(User.id == user.id)) or 0)

    def count_sessions(self, ids: list[uuid.UUID]) -> int:
        statement = sa.select(sa.func.count()).select_from(AuthSession).where(AuthSession.id.in_(ids))
        return int(self.session.scalar(statement) or 0)


class FakeStore:
    def __init__(self) -> None:
        self.users = FakeUserRepository()
        self.sessions = FakeSessionRepository(self.users)

    def reload(self, row: Any) -> Any:
        return row

    def forget(self) -> None:
        """The fakes hold their rows; there is no cache to drop."""

    def commit(self) -> None:
        """Fake writes are visible at once."""

    def bump_version_behind(self, user: User) -> None:
        self.users.bump_stored_version(user.id)

    def stored_version(self, user: User) -> int:
        return self.users.stored_version(user.id)

    def deactivate(self, user: User) -> None:
        stored = self.users.get(user.id)
        assert stored is not None
        stored.is_active = False
        self.users.flush()

    def count_sessions(self, ids: list[uuid.UUID]) -> int:
        return sum(1 for session in self.sessions.all() if session.id in ids)


@pytest.fixture(params=["sql", "fake"])
def store(request: pytest.FixtureRequest, app: Flask) -> Iterator[Store]:
    with app.app_context():
        yield SqlStore(db.session()) if request.param == "sql" else FakeStore()
