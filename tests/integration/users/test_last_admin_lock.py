"""The last-admin rule holds the admins' rows, proven on PostgreSQL with the real service and repository.

Removing an active admin counts the active admins and keeps their rows locked until it commits,
so two removals at once cannot each see the other still there. Here another transaction holds
the row of the admin who stays; a removal of the other admin must wait for it (with a short
lock_timeout, it gives up) rather than count around it, and goes through once it is released.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg2.errors
import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import OperationalError

from app.composition import container
from app.domain.principal import Principal
from app.extensions import db
from app.users.models import User
from app.users.service import UserChanges, UserService
from tests.conftest import Backend
from tests.support.accounts import create_account

pytestmark = pytest.mark.postgres_only

Removal = Callable[[UserService, Principal, uuid.UUID], object]

REMOVALS: dict[str, Removal] = {
    "demote": lambda service, actor, target: service.update(
        actor, target, UserChanges(values={"role": "user"})
    ),
    "disable": lambda service, actor, target: service.update(
        actor, target, UserChanges(values={"is_active": False})
    ),
    "delete": lambda service, actor, target: service.delete(actor, target),
}


@pytest.fixture
def live(backend: Backend, committed_app: Flask) -> Iterator[Flask]:
    assert backend.is_postgres, "row locks are PostgreSQL's; SQLite serialises every writer"
    with committed_app.app_context():
        yield committed_app


@contextmanager
def row_held_elsewhere(user_id: uuid.UUID) -> Iterator[None]:
    """Another transaction, on a connection of its own, holds the user's row until the block ends."""
    with db.engine.connect() as connection, connection.begin() as transaction:
        connection.execute(sa.select(User.id).where(User.id == user_id).with_for_update())
        try:
            yield
        finally:
            transaction.rollback()


def stored(user_id: uuid.UUID) -> User | None:
    db.session.expire_all()
    return db.session.get(User, user_id)


@pytest.mark.parametrize("removal", REMOVALS.values(), ids=REMOVALS.keys())
def test_removing_an_admin_waits_for_the_rows_of_the_other_admins(live: Flask, removal: Removal) -> None:
    leaving = create_account(live, role="admin")
    staying = create_account(live, role="admin")
    actor = Principal(user_id=staying.id, role="admin", session_id=uuid.uuid4())
    service = container().user_service()

    with row_held_elsewhere(staying.id):
        db.session.execute(sa.text("SET LOCAL lock_timeout = '300ms'"))
        with pytest.raises(OperationalError) as refused:
            removal(service, actor, leaving.id)
        assert isinstance(refused.value.orig, psycopg2.errors.LockNotAvailable)
        still = stored(leaving.id)
        assert still is not None
        assert (still.role, still.is_active) == ("admin", True)

    removal(service, actor, leaving.id)
    gone = stored(leaving.id)
    assert gone is None or (gone.role, gone.is_active) != ("admin", True)
