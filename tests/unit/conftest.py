"""Fakes of the ports every service unit test builds on: no database, no Flask."""

import pytest

from tests.fakes import (
    FakeAttemptBudget,
    FakeClock,
    FakePasswordHasher,
    FakeSessionBudget,
    FakeSessionRepository,
    FakeUnitOfWork,
    FakeUserRepository,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def users(clock: FakeClock) -> FakeUserRepository:
    return FakeUserRepository(clock)


@pytest.fixture
def sessions(users: FakeUserRepository) -> FakeSessionRepository:
    return FakeSessionRepository(users)


@pytest.fixture
def uow(users: FakeUserRepository, sessions: FakeSessionRepository) -> FakeUnitOfWork:
    return FakeUnitOfWork(users, sessions)


@pytest.fixture
def hasher() -> FakePasswordHasher:
    return FakePasswordHasher()


@pytest.fixture
def attempts() -> FakeAttemptBudget:
    return FakeAttemptBudget(limit=10)


@pytest.fixture
def session_attempts() -> FakeSessionBudget:
    return FakeSessionBudget(limit=10)
