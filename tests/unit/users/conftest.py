from datetime import timedelta

import pytest

from app.users.models import User
from app.users.service import UserService
from app.users.verification import EmailVerification, EmailVerificationTokens
from tests.fakes import (
    FakeClock,
    FakePasswordHasher,
    FakeSessionBudget,
    FakeUnitOfWork,
    FakeUserRepository,
    add_user,
)

VERIFY_TTL = timedelta(days=3)


@pytest.fixture
def verification(clock: FakeClock) -> EmailVerification:
    tokens = EmailVerificationTokens("unit-test-secret-of-at-least-32-bytes!", ttl=VERIFY_TTL, clock=clock)
    return EmailVerification(tokens, link=lambda token: f"https://app.example.com/verify-email?token={token}")


@pytest.fixture
def service(
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
    session_attempts: FakeSessionBudget,
    clock: FakeClock,
    verification: EmailVerification,
) -> UserService:
    return UserService(
        uow=uow, hasher=hasher, session_attempts=session_attempts, verification=verification, clock=clock
    )


@pytest.fixture
def admin(users: FakeUserRepository, hasher: FakePasswordHasher) -> User:
    return add_user(users, hasher, role="admin")


@pytest.fixture
def member(users: FakeUserRepository, hasher: FakePasswordHasher) -> User:
    return add_user(users, hasher)
