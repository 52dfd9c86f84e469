"""Repository contracts: one suite runs over each SQL repository (SQLite and PostgreSQL) and over the
fake that service unit tests use, so a fake cannot decide an outcome the real thing would not.

`Store` is what a contract test needs beyond the port: reading a row back as stored, and changing
the world behind the repository's back (another request deactivating a user, say).

Owner-scoped resources written by `make resource` share one contract
(tests/integration/test_owned_repositories.py): each is registered in `OWNED_RESOURCES` (the
generator adds its line above the marker), and the `owned` fixture gives every registered
resource's SQL repository and its fake to the same tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from app.auth.models import AuthSession
from app.auth.repository import SessionRepository, SqlSessionRepository
from app.domain.pagination import Cursor
from app.extensions import db
from app.users.models import User
from app.users.repository import SqlUserRepository, UserRepository
from tests.fakes import FakeSessionRepository, FakeUserRepository
from tests.support.accounts import create_account


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


class OwnedRepository(Protocol):
    """The port every generated owner-scoped repository has (positional names differ per resource)."""

    def get(self, row_id: uuid.UUID, /) -> Any: ...
    def add(self, row: Any, /) -> None: ...
    def delete(self, row: Any, /) -> None: ...
    def flush(self) -> None: ...
    def list_page(self, *, limit: int, after: Cursor | None, owner_id: uuid.UUID | None) -> Sequence[Any]: ...


class FakeOwnedRepository(OwnedRepository, Protocol):
    """A fake on tests.support.fake_tables.VersionedFakeTable: its stored versions can be read and moved."""

    def stored_version(self, row_id: uuid.UUID, /) -> int: ...
    def bump_stored_version(self, row_id: uuid.UUID, /) -> None: ...


@dataclass(frozen=True)
class OwnedResource:
    """A generated resource as the shared contract sees it: its model, its SQL repository, its
    fake, and how to build a valid row for an owner at a creation time."""

    model: Any
    sql: Callable[[Session], OwnedRepository]
    fake: Callable[[], FakeOwnedRepository]
    new: Callable[[uuid.UUID, datetime], Any]

    @property
    def name(self) -> str:
        return str(self.model.__tablename__)


OWNED_RESOURCES: list[OwnedResource] = [
    # make resource: generated repository contracts above this line
]


class OwnedStore:
    """One resource's repository (SQL or fake), two owners to give rows to, and a writer behind its back."""

    def __init__(self, resource: OwnedResource, owners: tuple[uuid.UUID, uuid.UUID], kind: str) -> None:
        self.resource = resource
        self.owners = owners
        self._fake: FakeOwnedRepository | None = None
        self._session: Session | None = None
        if kind == "fake":
            self._fake = resource.fake()
            self.repository: OwnedRepository = self._fake
        else:
            self._session = db.session()
            self.repository = resource.sql(self._session)

    def new(self, owner_id: uuid.UUID, created_at: datetime) -> Any:
        return self.resource.new(owner_id, created_at)

    def bump_version_behind(self, row: Any) -> None:
        if self._fake is not None:
            self._fake.bump_stored_version(row.id)
            return
        assert self._session is not None
        model = self.resource.model
        self._session.execute(
            sa.update(model)
            .where(model.id == row.id)
            .values(version=model.version + 1)
            .execution_options(synchronize_session=False)
        )

    def stored_version(self, row: Any) -> int:
        if self._fake is not None:
            return self._fake.stored_version(row.id)
        assert self._session is not None
        model = self.resource.model
        return int(self._session.scalar(sa.select(model.version).where(model.id == row.id)) or 0)


@pytest.fixture(
    params=[(resource, kind) for resource in OWNED_RESOURCES for kind in ("sql", "fake")],
    ids=lambda param: f"{param[0].name}-{param[1]}",
)
def owned(request: pytest.FixtureRequest, app: Flask) -> Iterator[OwnedStore]:
    resource, kind = request.param
    owners = (create_account(app).id, create_account(app).id)
    with app.app_context():
        yield OwnedStore(resource, owners, kind)
