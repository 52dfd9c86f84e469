from datetime import timedelta

import pytest

from app.auth.service import AuthService
from tests.fakes import (
    FakeClock,
    FakePasswordHasher,
    FakeSessionRepository,
    FakeTokenIssuer,
    FakeTransaction,
    FakeUserRepository,
)


@pytest.fixture
def refresh_ttl() -> timedelta:
    return timedelta(days=30)


@pytest.fixture
def issuer() -> FakeTokenIssuer:
    return FakeTokenIssuer()


@pytest.fixture
def reuse_grace() -> timedelta:
    """No grace by default; grace tests parametrise this fixture."""
    return timedelta(0)


@pytest.fixture
def service(
    users: FakeUserRepository,
    sessions: FakeSessionRepository,
    tx: FakeTransaction,
    hasher: FakePasswordHasher,
    issuer: FakeTokenIssuer,
    clock: FakeClock,
    refresh_ttl: timedelta,
    reuse_grace: timedelta,
) -> AuthService:
    return AuthService(
        users=users,
        sessions=sessions,
        tx=tx,
        hasher=hasher,
        issuer=issuer,
        refresh_ttl=refresh_ttl,
        reuse_grace=reuse_grace,
        clock=clock,
    )
