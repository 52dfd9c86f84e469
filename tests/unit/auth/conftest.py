import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from app.auth.callers import load_caller
from app.auth.service import AuthService
from app.domain.principal import Principal
from tests.fakes import (
    FakeAttemptBudget,
    FakeClock,
    FakePasswordHasher,
    FakeSessionRepository,
    FakeTokenIssuer,
    FakeUnitOfWork,
)


@pytest.fixture
def refresh_ttl() -> timedelta:
    return timedelta(days=30)


@pytest.fixture
def issuer() -> FakeTokenIssuer:
    return FakeTokenIssuer()


@pytest.fixture
def reuse_grace() -> timedelta:
    """The production default; tests of other windows parametrise this fixture."""
    return timedelta(seconds=2)


@pytest.fixture
def session_lifetime() -> timedelta:
    return timedelta(days=90)


@pytest.fixture
def service(
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
    attempts: FakeAttemptBudget,
    issuer: FakeTokenIssuer,
    clock: FakeClock,
    refresh_ttl: timedelta,
    session_lifetime: timedelta,
    reuse_grace: timedelta,
) -> AuthService:
    return AuthService(
        uow=uow,
        hasher=hasher,
        attempts=attempts,
        issuer=issuer,
        refresh_ttl=refresh_ttl,
        session_lifetime=session_lifetime,
        reuse_grace=reuse_grace,
        clock=clock,
    )


CallerLookup = Callable[..., Principal | None]


@pytest.fixture
def principal_for(sessions: FakeSessionRepository, clock: FakeClock) -> CallerLookup:
    """The per-request caller lookup, over the same fake sessions the service writes."""

    def lookup(*, user_id: uuid.UUID, session_id: uuid.UUID) -> Principal | None:
        return load_caller(sessions, user_id=user_id, session_id=session_id, now=clock())

    return lookup
