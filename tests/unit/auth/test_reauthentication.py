"""Reauthentication in the auth service, over fakes: the order of the session budget, the password
and the second factor, what the session records, and what a refresh then carries on."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.auth.errors import TokenRevoked
from app.auth.service import AuthService, RefreshClaims
from app.domain.attempts import TooManyAttempts
from app.domain.principal import Principal
from app.domain.reauthentication import InvalidCurrentPassword
from app.domain.second_factor import NoSecondFactor
from app.users.models import User
from tests.fakes import (
    CLIENT,
    DEFAULT_PASSWORD,
    FakeAttemptBudget,
    FakeClock,
    FakePasswordHasher,
    FakeSessionBudget,
    FakeSessionRepository,
    FakeTokenIssuer,
    FakeUnitOfWork,
    FakeUserRepository,
    add_user,
)

BUDGET = 3
WRONG = "Not-The-Password-99"


class WrongCode(Exception):
    """The scripted factor's own error (not a DomainError: no code of Keel's contract)."""


class ScriptedSecondFactor:
    """A second factor that is on: it confirms one code, and records what it was asked."""

    def __init__(self, good: str = "123456") -> None:
        self.good = good
        self.asked: list[tuple[uuid.UUID, str | None]] = []

    def confirm(self, user_id: uuid.UUID, code: str | None) -> tuple[str, ...]:
        self.asked.append((user_id, code))
        if code != self.good:
            raise WrongCode()
        return ("otp",)


@pytest.fixture
def budget() -> FakeSessionBudget:
    return FakeSessionBudget(limit=BUDGET)


@pytest.fixture
def factor() -> ScriptedSecondFactor:
    return ScriptedSecondFactor()


def build(
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
    issuer: FakeTokenIssuer,
    clock: FakeClock,
    budget: FakeSessionBudget,
    factor: object = None,
) -> AuthService:
    return AuthService(
        uow=uow,
        hasher=hasher,
        attempts=FakeAttemptBudget(),
        issuer=issuer,
        refresh_ttl=timedelta(days=30),
        session_lifetime=timedelta(days=90),
        session_attempts=budget,
        second_factor=factor if factor is not None else NoSecondFactor(),  # type: ignore[arg-type]
        clock=clock,
    )


@pytest.fixture
def service(
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
    issuer: FakeTokenIssuer,
    clock: FakeClock,
    budget: FakeSessionBudget,
) -> AuthService:
    return build(uow, hasher, issuer, clock, budget)


@pytest.fixture
def member(users: FakeUserRepository, hasher: FakePasswordHasher) -> User:
    return add_user(users, hasher)


def signed_in(service: AuthService, issuer: FakeTokenIssuer, user: User) -> Principal:
    service.login(email=user.email, password=DEFAULT_PASSWORD, client=CLIENT)
    issued = issuer.issued[-1]
    return Principal(
        user_id=user.id,
        role=user.role,
        session_id=issued.session_id,
        auth_time=issued.auth_time,
        amr=issued.amr,
    )


def spent(budget: FakeSessionBudget, user: User, principal: Principal) -> int:
    return budget.spent.get((user.email_normalized, str(principal.session_id)), 0)


def test_login_opens_its_session_proven_by_the_password_now(
    service: AuthService,
    issuer: FakeTokenIssuer,
    member: User,
    clock: FakeClock,
    sessions: FakeSessionRepository,
) -> None:
    principal = signed_in(service, issuer, member)

    assert (issuer.issued[-1].auth_time, issuer.issued[-1].amr) == (clock.now, ("pwd",))
    stored = sessions.get(principal.session_id)
    assert stored is not None
    assert (stored.authenticated_at, stored.amr) == (clock.now, "pwd")


def test_refresh_carries_the_sessions_proof_not_the_refresh_time(
    service: AuthService, issuer: FakeTokenIssuer, member: User, clock: FakeClock
) -> None:
    signed_in(service, issuer, member)
    logged_in = clock.now
    first = issuer.issued[-1]
    clock.advance(timedelta(days=1))

    service.refresh(RefreshClaims(member.id, first.session_id, first.refresh_jti), CLIENT)

    assert (issuer.issued[-1].auth_time, issuer.issued[-1].amr) == (logged_in, ("pwd",))


def test_reauthenticate_records_the_new_proof_on_the_session(
    service: AuthService,
    issuer: FakeTokenIssuer,
    member: User,
    clock: FakeClock,
    sessions: FakeSessionRepository,
    uow: FakeUnitOfWork,
) -> None:
    principal = signed_in(service, issuer, member)
    clock.advance(timedelta(hours=2))

    token = service.reauthenticate(principal, password=DEFAULT_PASSWORD)

    assert token.access_token == "reauthenticated-1"
    access = issuer.accesses[-1]
    assert (access.session_id, access.auth_time, access.amr) == (principal.session_id, clock.now, ("pwd",))
    stored = sessions.get(principal.session_id)
    assert stored is not None
    assert stored.authenticated_at == clock.now
    assert [e.event for e in uow.audit.events][-1] == "reauthenticated"
    # Only the access token: the refresh token stays the one the session has.
    assert len(issuer.issued) == 1


def test_reauthenticate_with_a_wrong_password_spends_an_attempt_and_is_recorded(
    service: AuthService,
    issuer: FakeTokenIssuer,
    member: User,
    budget: FakeSessionBudget,
    uow: FakeUnitOfWork,
    sessions: FakeSessionRepository,
    clock: FakeClock,
) -> None:
    principal = signed_in(service, issuer, member)
    logged_in = clock.now
    clock.advance(timedelta(hours=2))

    with pytest.raises(InvalidCurrentPassword):
        service.reauthenticate(principal, password=WRONG)

    assert spent(budget, member, principal) == 1
    assert [e.event for e in uow.audit.events][-1] == "current_password_wrong"
    stored = sessions.get(principal.session_id)
    assert stored is not None
    assert stored.authenticated_at == logged_in
    assert issuer.accesses == []


def test_a_spent_budget_refuses_the_right_password_before_checking_it(
    service: AuthService,
    issuer: FakeTokenIssuer,
    member: User,
    budget: FakeSessionBudget,
    hasher: FakePasswordHasher,
    uow: FakeUnitOfWork,
) -> None:
    principal = signed_in(service, issuer, member)
    for _ in range(BUDGET):
        with pytest.raises(InvalidCurrentPassword):
            service.reauthenticate(principal, password=WRONG)
    checks = len(hasher.verified)

    with pytest.raises(TooManyAttempts):
        service.reauthenticate(principal, password=DEFAULT_PASSWORD)

    assert len(hasher.verified) == checks
    assert [e.event for e in uow.audit.events][-1] == "password_check_refused"


def test_a_right_password_gives_its_attempt_back(
    service: AuthService, issuer: FakeTokenIssuer, member: User, budget: FakeSessionBudget
) -> None:
    principal = signed_in(service, issuer, member)
    service.reauthenticate(principal, password=DEFAULT_PASSWORD)
    assert spent(budget, member, principal) == 0


def test_the_second_factors_methods_join_the_password(
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
    issuer: FakeTokenIssuer,
    clock: FakeClock,
    budget: FakeSessionBudget,
    factor: ScriptedSecondFactor,
    member: User,
    sessions: FakeSessionRepository,
) -> None:
    service = build(uow, hasher, issuer, clock, budget, factor)
    principal = signed_in(service, issuer, member)

    service.reauthenticate(principal, password=DEFAULT_PASSWORD, code="123456")

    assert factor.asked == [(member.id, "123456")]
    assert issuer.accesses[-1].amr == ("pwd", "otp")
    stored = sessions.get(principal.session_id)
    assert stored is not None
    assert stored.amr == "pwd otp"
    assert spent(budget, member, principal) == 0


def test_a_refused_code_keeps_the_attempt_spent_and_changes_nothing(
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
    issuer: FakeTokenIssuer,
    clock: FakeClock,
    budget: FakeSessionBudget,
    factor: ScriptedSecondFactor,
    member: User,
    sessions: FakeSessionRepository,
) -> None:
    service = build(uow, hasher, issuer, clock, budget, factor)
    principal = signed_in(service, issuer, member)
    logged_in = clock.now
    clock.advance(timedelta(hours=1))

    with pytest.raises(WrongCode):
        service.reauthenticate(principal, password=DEFAULT_PASSWORD, code="000000")

    assert spent(budget, member, principal) == 1
    stored = sessions.get(principal.session_id)
    assert stored is not None
    assert stored.authenticated_at == logged_in
    assert issuer.accesses == []


def test_a_wrong_password_never_reaches_the_second_factor(
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
    issuer: FakeTokenIssuer,
    clock: FakeClock,
    budget: FakeSessionBudget,
    factor: ScriptedSecondFactor,
    member: User,
) -> None:
    service = build(uow, hasher, issuer, clock, budget, factor)
    principal = signed_in(service, issuer, member)

    with pytest.raises(InvalidCurrentPassword):
        service.reauthenticate(principal, password=WRONG, code="123456")

    assert factor.asked == []


def test_reauthenticating_a_session_that_ended_meanwhile_is_token_revoked(
    service: AuthService,
    issuer: FakeTokenIssuer,
    member: User,
    sessions: FakeSessionRepository,
    clock: FakeClock,
) -> None:
    principal = signed_in(service, issuer, member)
    sessions.revoke(principal.session_id, reason="logout", now=clock.now)

    with pytest.raises(TokenRevoked):
        service.reauthenticate(principal, password=DEFAULT_PASSWORD)

    assert issuer.accesses == []
