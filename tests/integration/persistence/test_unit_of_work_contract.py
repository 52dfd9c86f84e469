"""The unit-of-work contract, held by the SQL unit of work (SQLite and PostgreSQL) and by the fake the
service unit tests use: commits keep writes, every other exit undoes them, conflicts are domain errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from uuid6 import uuid7

from app.auth.models import AuthSession
from app.composition import KeelUnitOfWork, container
from app.domain.clock import utcnow
from app.extensions import db
from app.users.errors import EmailTaken
from app.users.models import User
from tests.fakes import FakeSessionRepository, FakeUnitOfWork, FakeUserRepository
from tests.integration.users.factories import new_user


@pytest.fixture(params=["sql", "fake"])
def uow(request: pytest.FixtureRequest, app: Flask) -> Iterator[Any]:
    """The SQL unit of work on each database backend, and the fake (which ignores the database)."""
    with app.app_context():
        if request.param == "fake":
            users = FakeUserRepository()
            yield FakeUnitOfWork(users, FakeSessionRepository(users))
        else:
            yield KeelUnitOfWork(db.session(), publish=container().jobs.publish)


def add_and_commit(uow: Any, *users: User) -> None:
    with uow:
        for user in users:
            uow.users.add(user)
        uow.commit()


def fail_inside(uow: Any, work: Callable[[], object]) -> None:
    """Do some work in a unit of work, then give up before committing, as a service raising would."""
    with uow:
        work()
        raise RuntimeError("the service gave up")


def test_a_committed_write_is_kept(uow: Any) -> None:
    user = new_user()
    add_and_commit(uow, user)
    assert uow.users.get_by_email(user.email) is not None


def test_leaving_with_an_exception_undoes_the_writes(uow: Any) -> None:
    user = new_user()
    with pytest.raises(RuntimeError):
        fail_inside(uow, lambda: uow.users.add(user))
    assert uow.users.get_by_email(user.email) is None


def test_leaving_without_a_commit_undoes_the_writes(uow: Any) -> None:
    user = new_user()
    with uow:
        uow.users.add(user)
    assert uow.users.get_by_email(user.email) is None


def test_a_changed_row_is_put_back_when_the_block_fails(uow: Any) -> None:
    user = new_user()
    add_and_commit(uow, user)

    def rename() -> None:
        user.name = "Changed"
        uow.users.flush()

    with pytest.raises(RuntimeError):
        fail_inside(uow, rename)
    found = uow.users.get_by_email(user.email)
    assert found is not None
    assert found.name == "Repository User"


def test_a_duplicate_email_is_email_taken_and_the_first_account_stays(uow: Any) -> None:
    first = new_user()
    add_and_commit(uow, first)
    with pytest.raises(EmailTaken):
        add_and_commit(uow, new_user(email=first.email.upper()))
    assert uow.users.get_by_email(first.email) is not None


def test_the_unit_of_work_is_usable_after_a_refused_write(uow: Any) -> None:
    first = new_user()
    add_and_commit(uow, first)
    with pytest.raises(EmailTaken):
        add_and_commit(uow, new_user(email=first.email))
    second = new_user()
    add_and_commit(uow, second)
    assert uow.users.get_by_email(second.email) is not None


def test_a_session_revoked_in_a_failed_block_stays_live(uow: Any) -> None:
    user = new_user()
    now = utcnow()
    session = AuthSession(
        id=uuid7(),
        user_id=user.id,
        refresh_token_hash="0" * 64,
        created_at=now,
        rotated_at=now,
        expires_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=90),
        authenticated_at=now,
        amr="pwd",
    )
    with uow:
        uow.users.add(user)
        uow.sessions.add(session)
        uow.commit()
    with pytest.raises(RuntimeError):
        fail_inside(uow, lambda: uow.sessions.revoke(session.id, reason="logout", now=now))
    assert uow.sessions.find_active_user(user_id=user.id, session_id=session.id, now=now) is not None


def test_outbox_messages_are_published_after_their_commit_and_never_after_a_rollback(app: Flask) -> None:
    published: list[list[Any]] = []
    with app.app_context():
        uow = KeelUnitOfWork(db.session(), publish=published.append)
        with pytest.raises(RuntimeError):
            fail_inside(uow, lambda: uow.outbox.add("mail.send", {"to": "a@example.com"}, now=utcnow()))
        with uow:
            kept = uow.outbox.add("mail.send", {"to": "b@example.com"}, now=utcnow())
            assert published == []
            uow.commit()
        with uow:
            uow.commit()
    assert published == [[kept], []]
