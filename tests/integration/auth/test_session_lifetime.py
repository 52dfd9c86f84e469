"""A session's absolute lifetime, kept by the auth service over the real SQL repositories on SQLite
and PostgreSQL: rotation clamps each new expiry to the session's end in the database, and the
refresh token the service issues says so. The clock and the token issuer are stand-ins that only
move time and record what the service hands them; the clamp itself is the SQL repository's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask

from app.auth.errors import TokenExpired
from app.auth.models import AuthSession
from app.auth.service import AuthService, RefreshClaims
from app.composition import container
from app.extensions import db
from tests.fakes import CLIENT, FakeAttemptBudget, FakeClock, FakeTokenIssuer
from tests.support.accounts import Account, create_account

REFRESH_TTL = timedelta(days=30)
LIFETIME = timedelta(days=45)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def issuer() -> FakeTokenIssuer:
    return FakeTokenIssuer()


@pytest.fixture
def account(app: Flask) -> Account:
    return create_account(app)


@pytest.fixture
def service(app: Flask, clock: FakeClock, issuer: FakeTokenIssuer) -> Iterator[AuthService]:
    with app.app_context():
        built = container()
        yield AuthService(
            uow=built.unit_of_work(),
            hasher=built.hasher,
            attempts=FakeAttemptBudget(),
            issuer=issuer,
            refresh_ttl=REFRESH_TTL,
            session_lifetime=LIFETIME,
            clock=clock,
        )


def log_in(service: AuthService, issuer: FakeTokenIssuer, account: Account) -> RefreshClaims:
    service.login(email=account.email, password=account.password, client=CLIENT)
    return latest_claims(issuer)


def latest_claims(issuer: FakeTokenIssuer) -> RefreshClaims:
    issued = issuer.issued[-1]
    return RefreshClaims(user_id=issued.user_id, session_id=issued.session_id, jti=issued.refresh_jti)


def stored_session(claims: RefreshClaims) -> AuthSession:
    db.session.expire_all()
    session = db.session.get(AuthSession, claims.session_id)
    assert session is not None
    return session


def test_refreshing_never_carries_a_session_past_its_lifetime(
    service: AuthService, issuer: FakeTokenIssuer, clock: FakeClock, account: Account
) -> None:
    started = clock.now
    claims = log_in(service, issuer, account)
    assert stored_session(claims).ends_at == started + LIFETIME

    for _ in range(3):
        clock.advance(timedelta(days=14))
        service.refresh(claims, CLIENT)
        claims = latest_claims(issuer)

    assert stored_session(claims).expires_at == started + LIFETIME
    assert issuer.issued[-1].refresh_ttl == started + LIFETIME - clock.now
    clock.advance(timedelta(days=3, seconds=1))
    with pytest.raises(TokenExpired):
        service.refresh(claims, CLIENT)


def test_the_refresh_token_never_outlives_its_session(
    service: AuthService, issuer: FakeTokenIssuer, clock: FakeClock, account: Account
) -> None:
    claims = log_in(service, issuer, account)
    assert issuer.issued[-1].refresh_ttl == REFRESH_TTL

    clock.advance(timedelta(days=20))
    service.refresh(claims, CLIENT)

    assert issuer.issued[-1].refresh_ttl == timedelta(days=25)
    assert stored_session(latest_claims(issuer)).expires_at == clock.now + timedelta(days=25)
