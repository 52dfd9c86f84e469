import hashlib
import uuid
from datetime import timedelta

import pytest

from app.auth.errors import AccountDisabled, InvalidCredentials, TokenExpired, TokenReused, TokenRevoked
from app.auth.models import AuthSession
from app.auth.service import AuthService, RefreshClaims
from app.domain.attempts import TooManyAttempts
from app.domain.clients import Client
from app.domain.principal import Principal
from app.users.models import User
from tests.fakes import (
    CLIENT,
    DEFAULT_PASSWORD,
    THIEF,
    FakeAttemptBudget,
    FakeClock,
    FakePasswordHasher,
    FakeSessionRepository,
    FakeTokenIssuer,
    FakeUnitOfWork,
    FakeUserRepository,
    add_user,
)
from tests.unit.auth.conftest import CallerLookup


@pytest.fixture
def member(users: FakeUserRepository, hasher: FakePasswordHasher) -> User:
    return add_user(users, hasher, email="Ann@Example.com")


@pytest.fixture
def disabled(users: FakeUserRepository, hasher: FakePasswordHasher) -> User:
    return add_user(users, hasher, email="gone@example.com", is_active=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def log_in(service: AuthService, issuer: FakeTokenIssuer, user: User) -> RefreshClaims:
    """Log `user` in and return the claims its refresh token carries."""
    service.login(email=user.email, password=DEFAULT_PASSWORD, client=CLIENT)
    issued = issuer.issued[-1]
    return RefreshClaims(user_id=issued.user_id, session_id=issued.session_id, jti=issued.refresh_jti)


def session_of(sessions: FakeSessionRepository, claims: RefreshClaims) -> AuthSession:
    session = sessions.get(claims.session_id)
    assert session is not None
    return session


# login


def test_login_returns_the_issued_token_pair(
    service: AuthService, member: User, issuer: FakeTokenIssuer
) -> None:
    pair = service.login(email=member.email, password=DEFAULT_PASSWORD, client=CLIENT)
    assert (pair.access_token, pair.refresh_token, pair.token_type) == ("access-1", "refresh-1", "Bearer")
    assert issuer.issued[0].user_id == member.id


def test_login_opens_a_session_storing_the_token_hash_not_the_jti(
    service: AuthService,
    member: User,
    issuer: FakeTokenIssuer,
    sessions: FakeSessionRepository,
    clock: FakeClock,
    refresh_ttl: timedelta,
) -> None:
    claims = log_in(service, issuer, member)
    session = session_of(sessions, claims)
    assert session.user_id == member.id
    assert session.refresh_token_hash == sha256(claims.jti)
    assert session.refresh_token_hash != claims.jti
    assert (session.created_at, session.rotated_at) == (clock.now, clock.now)
    assert session.expires_at == clock.now + refresh_ttl
    assert session.revoked_at is None


def test_login_commits_once(service: AuthService, member: User, uow: FakeUnitOfWork) -> None:
    service.login(email=member.email, password=DEFAULT_PASSWORD, client=CLIENT)
    assert (uow.commits, uow.rollbacks) == (1, 0)


def test_login_opens_a_new_session_family_each_time(
    service: AuthService, member: User, issuer: FakeTokenIssuer, sessions: FakeSessionRepository
) -> None:
    first = log_in(service, issuer, member)
    second = log_in(service, issuer, member)
    assert first.session_id != second.session_id
    assert first.jti != second.jti
    assert len(sessions.all()) == 2


def test_login_matches_email_trimmed_and_case_insensitively(
    service: AuthService, member: User, issuer: FakeTokenIssuer
) -> None:
    service.login(email="  ann@EXAMPLE.com ", password=DEFAULT_PASSWORD, client=CLIENT)
    assert issuer.issued[0].user_id == member.id


def test_login_burns_a_dummy_hash_and_refuses_unknown_email(
    service: AuthService,
    hasher: FakePasswordHasher,
    sessions: FakeSessionRepository,
    uow: FakeUnitOfWork,
) -> None:
    with pytest.raises(InvalidCredentials):
        service.login(email="nobody@example.com", password="Some-Password-1", client=CLIENT)
    assert hasher.burned == ["Some-Password-1"]
    assert sessions.all() == []
    # Only the failure's own record is committed: no session, an audit event with no subject.
    assert uow.commits == 1
    assert [(e.event, e.actor_id, e.subject_id) for e in uow.audit.events] == [("login_failed", None, None)]


def test_login_refuses_wrong_password_without_burning(
    service: AuthService, member: User, hasher: FakePasswordHasher, sessions: FakeSessionRepository
) -> None:
    with pytest.raises(InvalidCredentials):
        service.login(email=member.email, password="Wrong-Password-1", client=CLIENT)
    assert hasher.burned == []
    assert sessions.all() == []


def test_login_gives_same_error_for_wrong_password_and_unknown_email(
    service: AuthService, member: User
) -> None:
    with pytest.raises(InvalidCredentials) as wrong_password:
        service.login(email=member.email, password="Wrong-Password-1", client=CLIENT)
    with pytest.raises(InvalidCredentials) as unknown_email:
        service.login(email="nobody@example.com", password="Wrong-Password-1", client=CLIENT)
    assert (wrong_password.value.code, wrong_password.value.detail) == (
        unknown_email.value.code,
        unknown_email.value.detail,
    )
    assert wrong_password.value.code == "invalid_credentials"


def test_login_refuses_disabled_account_with_right_password(
    service: AuthService, disabled: User, sessions: FakeSessionRepository, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(AccountDisabled):
        service.login(email=disabled.email, password=DEFAULT_PASSWORD, client=CLIENT)
    assert sessions.all() == []
    assert uow.commits == 1
    assert [(e.event, e.subject_id) for e in uow.audit.events] == [("login_failed", disabled.id)]


def test_login_gives_invalid_credentials_for_disabled_account_with_wrong_password(
    service: AuthService, disabled: User
) -> None:
    with pytest.raises(InvalidCredentials):
        service.login(email=disabled.email, password="Wrong-Password-1", client=CLIENT)


def test_login_rehashes_password_when_hash_is_outdated(
    service: AuthService, member: User, hasher: FakePasswordHasher
) -> None:
    old_hash = member.password_hash
    hasher.params = "v2"
    service.login(email=member.email, password=DEFAULT_PASSWORD, client=CLIENT)
    assert member.password_hash != old_hash
    assert not hasher.needs_rehash(member.password_hash)
    assert hasher.verify(member.password_hash, DEFAULT_PASSWORD)


def test_login_keeps_hash_when_it_is_current(
    service: AuthService, member: User, hasher: FakePasswordHasher
) -> None:
    old_hash = member.password_hash
    hashes_before = len(hasher.hashed)
    service.login(email=member.email, password=DEFAULT_PASSWORD, client=CLIENT)
    assert member.password_hash == old_hash
    assert len(hasher.hashed) == hashes_before


# refresh


def test_refresh_rotates_and_issues_a_new_pair_for_the_same_session(
    service: AuthService, member: User, issuer: FakeTokenIssuer, uow: FakeUnitOfWork
) -> None:
    claims = log_in(service, issuer, member)
    pair = service.refresh(claims, CLIENT)
    issued = issuer.issued[-1]
    assert pair.refresh_token == "refresh-2"
    assert (issued.user_id, issued.session_id) == (member.id, claims.session_id)
    assert issued.refresh_jti != claims.jti
    assert uow.commits == 2


def test_refresh_stores_the_new_token_hash_and_extends_expiry(
    service: AuthService,
    member: User,
    issuer: FakeTokenIssuer,
    sessions: FakeSessionRepository,
    clock: FakeClock,
    refresh_ttl: timedelta,
) -> None:
    claims = log_in(service, issuer, member)
    later = clock.advance(timedelta(days=2))
    service.refresh(claims, CLIENT)
    session = session_of(sessions, claims)
    assert session.refresh_token_hash == sha256(issuer.issued[-1].refresh_jti)
    assert session.rotated_at == later
    assert session.expires_at == later + refresh_ttl


def test_refresh_accepts_the_rotated_token_next_time(
    service: AuthService, member: User, issuer: FakeTokenIssuer
) -> None:
    claims = log_in(service, issuer, member)
    service.refresh(claims, CLIENT)
    newest = issuer.issued[-1]
    service.refresh(
        RefreshClaims(user_id=member.id, session_id=newest.session_id, jti=newest.refresh_jti), CLIENT
    )
    assert len(issuer.issued) == 3


def test_refresh_of_already_rotated_token_raises_token_reused_and_revokes_session(
    service: AuthService,
    member: User,
    issuer: FakeTokenIssuer,
    sessions: FakeSessionRepository,
    uow: FakeUnitOfWork,
    clock: FakeClock,
) -> None:
    claims = log_in(service, issuer, member)
    service.refresh(claims, CLIENT)
    with pytest.raises(TokenReused):
        service.refresh(claims, THIEF)
    session = session_of(sessions, claims)
    assert session.revoked_at == clock.now
    assert session.revoked_reason == "reuse_detected"
    assert uow.commits == 3


def test_refresh_after_reuse_refuses_the_newest_token_too(
    service: AuthService, member: User, issuer: FakeTokenIssuer
) -> None:
    claims = log_in(service, issuer, member)
    service.refresh(claims, CLIENT)
    newest = issuer.issued[-1]
    with pytest.raises(TokenReused):
        service.refresh(claims, THIEF)
    with pytest.raises(TokenRevoked):
        service.refresh(
            RefreshClaims(user_id=member.id, session_id=newest.session_id, jti=newest.refresh_jti), CLIENT
        )


def test_refresh_after_reuse_ends_the_familys_access_tokens(
    service: AuthService, principal_for: CallerLookup, member: User, issuer: FakeTokenIssuer
) -> None:
    claims = log_in(service, issuer, member)
    service.refresh(claims, CLIENT)
    with pytest.raises(TokenReused):
        service.refresh(claims, THIEF)
    assert principal_for(user_id=member.id, session_id=claims.session_id) is None


def test_refresh_raises_token_revoked_for_revoked_session(
    service: AuthService,
    member: User,
    issuer: FakeTokenIssuer,
    sessions: FakeSessionRepository,
    uow: FakeUnitOfWork,
    clock: FakeClock,
) -> None:
    claims = log_in(service, issuer, member)
    sessions.revoke(claims.session_id, reason="logout", now=clock.now)
    with pytest.raises(TokenRevoked):
        service.refresh(claims, CLIENT)
    assert (uow.commits, uow.rollbacks) == (1, 1)
    assert session_of(sessions, claims).revoked_reason == "logout"


def test_refresh_raises_token_expired_for_expired_session(
    service: AuthService,
    member: User,
    issuer: FakeTokenIssuer,
    uow: FakeUnitOfWork,
    clock: FakeClock,
    refresh_ttl: timedelta,
) -> None:
    claims = log_in(service, issuer, member)
    clock.advance(refresh_ttl)
    with pytest.raises(TokenExpired):
        service.refresh(claims, CLIENT)
    assert (uow.commits, uow.rollbacks) == (1, 1)


def test_refresh_succeeds_just_before_expiry(
    service: AuthService, member: User, issuer: FakeTokenIssuer, clock: FakeClock, refresh_ttl: timedelta
) -> None:
    claims = log_in(service, issuer, member)
    clock.advance(refresh_ttl - timedelta(seconds=1))
    service.refresh(claims, CLIENT)
    assert len(issuer.issued) == 2


def test_refresh_raises_token_revoked_for_unknown_session(
    service: AuthService, member: User, uow: FakeUnitOfWork
) -> None:
    claims = RefreshClaims(user_id=member.id, session_id=uuid.uuid4(), jti="whatever")
    with pytest.raises(TokenRevoked):
        service.refresh(claims, CLIENT)
    assert (uow.commits, uow.rollbacks) == (0, 1)


def test_refresh_raises_token_revoked_when_user_was_deleted(
    service: AuthService, member: User, issuer: FakeTokenIssuer, users: FakeUserRepository
) -> None:
    claims = log_in(service, issuer, member)
    users.delete(member)
    with pytest.raises(TokenRevoked):
        service.refresh(claims, CLIENT)


# logout


def test_logout_revokes_the_callers_session(
    service: AuthService,
    member: User,
    issuer: FakeTokenIssuer,
    sessions: FakeSessionRepository,
    uow: FakeUnitOfWork,
    clock: FakeClock,
) -> None:
    claims = log_in(service, issuer, member)
    service.logout(Principal(user_id=member.id, role=member.role, session_id=claims.session_id))
    session = session_of(sessions, claims)
    assert (session.revoked_at, session.revoked_reason) == (clock.now, "logout")
    assert uow.commits == 2


def test_logout_stops_the_sessions_refresh_token(
    service: AuthService, member: User, issuer: FakeTokenIssuer
) -> None:
    claims = log_in(service, issuer, member)
    service.logout(Principal(user_id=member.id, role=member.role, session_id=claims.session_id))
    with pytest.raises(TokenRevoked):
        service.refresh(claims, CLIENT)


def test_logout_leaves_other_sessions_of_the_user_alone(
    service: AuthService, principal_for: CallerLookup, member: User, issuer: FakeTokenIssuer
) -> None:
    leaving = log_in(service, issuer, member)
    staying = log_in(service, issuer, member)
    service.logout(Principal(user_id=member.id, role=member.role, session_id=leaving.session_id))
    assert principal_for(user_id=member.id, session_id=staying.session_id) is not None


# the per-request caller lookup (app.auth.callers.load_caller)


def test_principal_for_loads_a_live_session(
    service: AuthService, principal_for: CallerLookup, member: User, issuer: FakeTokenIssuer
) -> None:
    claims = log_in(service, issuer, member)
    principal = principal_for(user_id=member.id, session_id=claims.session_id)
    assert principal == Principal(user_id=member.id, role="user", session_id=claims.session_id)


def test_principal_for_reads_the_current_role(
    service: AuthService, principal_for: CallerLookup, member: User, issuer: FakeTokenIssuer
) -> None:
    claims = log_in(service, issuer, member)
    member.role = "admin"
    principal = principal_for(user_id=member.id, session_id=claims.session_id)
    assert principal is not None
    assert principal.is_admin


def test_principal_for_is_none_for_revoked_session(
    service: AuthService,
    principal_for: CallerLookup,
    member: User,
    issuer: FakeTokenIssuer,
    sessions: FakeSessionRepository,
    clock: FakeClock,
) -> None:
    claims = log_in(service, issuer, member)
    sessions.revoke(claims.session_id, reason="logout", now=clock.now)
    assert principal_for(user_id=member.id, session_id=claims.session_id) is None


def test_principal_for_is_none_for_expired_session(
    service: AuthService,
    principal_for: CallerLookup,
    member: User,
    issuer: FakeTokenIssuer,
    clock: FakeClock,
    refresh_ttl: timedelta,
) -> None:
    claims = log_in(service, issuer, member)
    clock.advance(refresh_ttl)
    assert principal_for(user_id=member.id, session_id=claims.session_id) is None


def test_principal_for_is_none_for_inactive_user(
    service: AuthService, principal_for: CallerLookup, member: User, issuer: FakeTokenIssuer
) -> None:
    claims = log_in(service, issuer, member)
    member.is_active = False
    assert principal_for(user_id=member.id, session_id=claims.session_id) is None


def test_principal_for_is_none_for_deleted_user(
    service: AuthService,
    principal_for: CallerLookup,
    member: User,
    issuer: FakeTokenIssuer,
    users: FakeUserRepository,
) -> None:
    claims = log_in(service, issuer, member)
    users.delete(member)
    assert principal_for(user_id=member.id, session_id=claims.session_id) is None


def test_principal_for_is_none_for_unknown_user(
    service: AuthService, principal_for: CallerLookup, member: User, issuer: FakeTokenIssuer
) -> None:
    claims = log_in(service, issuer, member)
    assert principal_for(user_id=uuid.uuid4(), session_id=claims.session_id) is None


def test_principal_for_is_none_for_unknown_session(
    service: AuthService, principal_for: CallerLookup, member: User
) -> None:
    assert principal_for(user_id=member.id, session_id=uuid.uuid4()) is None


def test_principal_for_is_none_when_session_belongs_to_another_user(
    service: AuthService,
    principal_for: CallerLookup,
    member: User,
    issuer: FakeTokenIssuer,
    users: FakeUserRepository,
    hasher: FakePasswordHasher,
) -> None:
    other = add_user(users, hasher)
    claims = log_in(service, issuer, member)
    assert principal_for(user_id=other.id, session_id=claims.session_id) is None


GRACE = pytest.mark.parametrize("reuse_grace", [timedelta(seconds=2)])


@GRACE
def test_refresh_retry_within_grace_is_refused_without_revoking(
    service: AuthService,
    member: User,
    issuer: FakeTokenIssuer,
    sessions: FakeSessionRepository,
    clock: FakeClock,
) -> None:
    claims = log_in(service, issuer, member)
    service.refresh(claims, CLIENT)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenRevoked):
        service.refresh(claims, CLIENT)
    assert session_of(sessions, claims).revoked_at is None


@GRACE
def test_refresh_replay_after_grace_revokes_the_family(
    service: AuthService,
    member: User,
    issuer: FakeTokenIssuer,
    sessions: FakeSessionRepository,
    clock: FakeClock,
) -> None:
    claims = log_in(service, issuer, member)
    service.refresh(claims, CLIENT)
    clock.advance(timedelta(seconds=2))
    with pytest.raises(TokenReused):
        service.refresh(claims, CLIENT)
    assert session_of(sessions, claims).revoked_reason == "reuse_detected"


@GRACE
def test_refresh_grace_covers_only_the_token_just_replaced(
    service: AuthService,
    member: User,
    issuer: FakeTokenIssuer,
    sessions: FakeSessionRepository,
    clock: FakeClock,
) -> None:
    oldest = log_in(service, issuer, member)
    service.refresh(oldest, CLIENT)
    clock.advance(timedelta(seconds=10))
    latest = issuer.issued[-1]
    service.refresh(
        RefreshClaims(user_id=latest.user_id, session_id=latest.session_id, jti=latest.refresh_jti), CLIENT
    )
    clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenReused):
        service.refresh(oldest, CLIENT)
    assert session_of(sessions, oldest).revoked_at is not None


# the per-account attempt budget


def test_login_spends_an_attempt_before_checking_and_keeps_it_on_failure(
    service: AuthService, member: User, attempts: FakeAttemptBudget, hasher: FakePasswordHasher
) -> None:
    with pytest.raises(InvalidCredentials):
        service.login(email=member.email, password="wrong-password", client=CLIENT)
    assert attempts.spent == {member.email_normalized: 1}
    assert len(hasher.verified) == 1


def test_login_gives_the_attempt_back_for_the_right_password(
    service: AuthService, member: User, attempts: FakeAttemptBudget
) -> None:
    service.login(email=member.email, password=DEFAULT_PASSWORD, client=CLIENT)
    assert attempts.spent == {member.email_normalized: 0}


def test_login_for_an_unknown_email_spends_the_same_attempt(
    service: AuthService, attempts: FakeAttemptBudget
) -> None:
    with pytest.raises(InvalidCredentials):
        service.login(email="  Nobody@Example.com ", password="wrong-password", client=CLIENT)
    assert attempts.spent == {"nobody@example.com": 1}


def test_login_past_the_budget_checks_no_password_at_all(
    service: AuthService, member: User, attempts: FakeAttemptBudget, hasher: FakePasswordHasher
) -> None:
    for _ in range(attempts.limit):
        with pytest.raises(InvalidCredentials):
            service.login(email=member.email, password="wrong-password", client=CLIENT)
    checked = len(hasher.verified)
    with pytest.raises(TooManyAttempts) as refused:
        service.login(email=member.email, password=DEFAULT_PASSWORD, client=CLIENT)
    assert len(hasher.verified) == checked
    assert refused.value.retry_after_seconds >= 1


def test_a_disabled_account_with_the_right_password_gets_its_attempt_back(
    service: AuthService, disabled: User, attempts: FakeAttemptBudget
) -> None:
    with pytest.raises(AccountDisabled):
        service.login(email=disabled.email, password=DEFAULT_PASSWORD, client=CLIENT)
    assert attempts.spent == {disabled.email_normalized: 0}


# the grace belongs to the client that rotated; sessions end, however often they are refreshed


def test_a_thiefs_replay_within_the_grace_revokes_the_family(
    service: AuthService, member: User, issuer: FakeTokenIssuer, sessions: FakeSessionRepository
) -> None:
    claims = log_in(service, issuer, member)
    service.refresh(claims, CLIENT)
    with pytest.raises(TokenReused):
        service.refresh(claims, THIEF)
    assert session_of(sessions, claims).revoked_reason == "reuse_detected"


def test_when_the_thief_rotates_first_the_victims_replay_revokes_the_family(
    service: AuthService, member: User, issuer: FakeTokenIssuer, sessions: FakeSessionRepository
) -> None:
    claims = log_in(service, issuer, member)
    service.refresh(claims, THIEF)
    with pytest.raises(TokenReused):
        service.refresh(claims, CLIENT)
    thiefs = issuer.issued[-1]
    with pytest.raises(TokenRevoked):
        service.refresh(
            RefreshClaims(user_id=member.id, session_id=thiefs.session_id, jti=thiefs.refresh_jti), THIEF
        )


@pytest.mark.parametrize(
    "other",
    [
        Client(address=CLIENT.address, user_agent="Other/2.0"),
        Client(address="198.51.100.8", user_agent=CLIENT.user_agent),
    ],
)
def test_the_grace_needs_the_same_address_and_user_agent(
    service: AuthService, member: User, issuer: FakeTokenIssuer, other: Client
) -> None:
    claims = log_in(service, issuer, member)
    service.refresh(claims, CLIENT)
    with pytest.raises(TokenReused):
        service.refresh(claims, other)


def test_login_records_the_client_and_the_absolute_end(
    service: AuthService,
    member: User,
    issuer: FakeTokenIssuer,
    sessions: FakeSessionRepository,
    clock: FakeClock,
) -> None:
    claims = log_in(service, issuer, member)
    session = session_of(sessions, claims)
    assert (session.client_address, session.user_agent) == (CLIENT.address, CLIENT.user_agent)
    assert session.ends_at == clock.now + timedelta(days=90)
