import pytest

from app.users.models import User
from app.users.service import UserService
from tests.fakes import (
    FakeAttemptBudget,
    FakeClock,
    FakePasswordHasher,
    FakeUnitOfWork,
    FakeUserRepository,
    add_user,
)


@pytest.fixture
def service(
    uow: FakeUnitOfWork, hasher: FakePasswordHasher, attempts: FakeAttemptBudget, clock: FakeClock
) -> UserService:
    return UserService(uow=uow, hasher=hasher, attempts=attempts, clock=clock)


@pytest.fixture
def admin(users: FakeUserRepository, hasher: FakePasswordHasher) -> User:
    return add_user(users, hasher, role="admin")


@pytest.fixture
def member(users: FakeUserRepository, hasher: FakePasswordHasher) -> User:
    return add_user(users, hasher)
