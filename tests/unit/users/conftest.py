import pytest

from app.users.models import User
from app.users.service import UserService
from tests.fakes import (
    FakeClock,
    FakePasswordHasher,
    FakeSessionRepository,
    FakeTransaction,
    FakeUserRepository,
    add_user,
)


@pytest.fixture
def service(
    users: FakeUserRepository,
    sessions: FakeSessionRepository,
    tx: FakeTransaction,
    hasher: FakePasswordHasher,
    clock: FakeClock,
) -> UserService:
    return UserService(users=users, tx=tx, hasher=hasher, sessions=sessions, clock=clock)


@pytest.fixture
def admin(users: FakeUserRepository, hasher: FakePasswordHasher) -> User:
    return add_user(users, hasher, role="admin")


@pytest.fixture
def member(users: FakeUserRepository, hasher: FakePasswordHasher) -> User:
    return add_user(users, hasher)
