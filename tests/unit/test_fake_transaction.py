"""The fake unit of work rolls back whatever fake tables and logs it holds, without being taught
each one: a feature's fake unit of work only adds its repository."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.domain.errors import PreconditionFailed
from app.domain.pagination import Cursor
from app.users.models import User
from tests.fakes import START, FakeClock, FakeOutbox, FakeUnitOfWork, FakeUserRepository
from tests.integration.users.factories import new_user
from tests.support.fake_tables import newest_first


class ExtendedUnitOfWork(FakeUnitOfWork):
    """What a new feature's fake unit of work looks like: one more repository, one more log."""

    def __init__(self) -> None:
        super().__init__()
        self.archive = FakeUserRepository()
        self.notes = FakeOutbox()


def test_a_table_the_unit_of_work_was_never_taught_is_rolled_back() -> None:
    uow = ExtendedUnitOfWork()
    kept = new_user()
    with uow:
        uow.archive.add(kept)
        uow.commit()

    with uow:
        uow.archive.add(new_user())
        kept.name = "Changed"
        uow.archive.flush()
        uow.notes.add("note", {}, now=START)
        uow.archive.delete(kept)

    assert uow.archive.all() == [kept]
    assert kept.name == "Repository User"
    assert uow.archive.stored_version(kept.id) == kept.version == 1
    assert uow.notes.messages == []
    assert (uow.commits, uow.rollbacks) == (1, 1)


def test_a_committed_block_keeps_every_table() -> None:
    uow = ExtendedUnitOfWork()
    with uow:
        uow.archive.add(new_user())
        uow.users.add(new_user())
        uow.commit()
    assert (len(uow.archive), len(uow.users)) == (1, 1)


def test_defaults_and_timestamps_come_from_the_model_and_the_fake_clock() -> None:
    clock = FakeClock()
    users = FakeUserRepository(clock)
    user = User(email="a@example.com", email_normalized="a@example.com", name="A", password_hash="x")
    users.add(user)
    assert (user.role, user.is_active, user.email_verified, user.version) == ("user", True, False, 1)
    assert user.created_at == user.updated_at == START
    assert isinstance(user.id, uuid.UUID)


def test_a_stale_row_refuses_the_flush_and_keeps_its_stored_values() -> None:
    users = FakeUserRepository()
    user = new_user()
    users.add(user)
    users.bump_stored_version(user.id)
    user.name = "Lost Update"
    with pytest.raises(PreconditionFailed):
        users.flush()
    assert user.name == "Repository User"


def test_the_in_memory_keyset_page_is_newest_first_with_id_as_tie_breaker() -> None:
    rows = [new_user(created_at=START + timedelta(minutes=n % 2)) for n in range(5)]
    page = newest_first(rows, limit=3, after=None)
    assert page == sorted(rows, key=lambda u: (u.created_at, u.id), reverse=True)[:3]
    assert newest_first(rows, limit=5, after=None)[3:] == newest_first(
        rows, limit=5, after=Cursor(created_at=page[-1].created_at, id=page[-1].id)
    )
