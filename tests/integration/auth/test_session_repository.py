"""SqlSessionRepository on real databases: conditional rotation, revocation, the per-request join."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import AuthSession
from app.auth.repository import SqlSessionRepository
from app.users.models import User
from app.users.repository import SqlUserRepository
from tests.integration.users.factories import new_user

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(days=30)


@pytest.fixture
def users(session: Session) -> SqlUserRepository:
    return SqlUserRepository(session)


@pytest.fixture
def sessions(session: Session) -> SqlSessionRepository:
    return SqlSessionRepository(session)


@pytest.fixture
def owner(users: SqlUserRepository) -> User:
    user = new_user()
    users.add(user)
    return user


def open_session(
    sessions: SqlSessionRepository,
    user: User,
    *,
    token_hash: str | None = None,
    expires_at: datetime | None = None,
) -> AuthSession:
    auth_session = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        refresh_token_hash=token_hash or uuid.uuid4().hex,
        created_at=NOW,
        rotated_at=NOW,
        expires_at=expires_at or NOW + TTL,
    )
    sessions.add(auth_session)
    return auth_session


def reloaded(session: Session, auth_session: AuthSession) -> AuthSession:
    """The row as stored: the repository writes with Core UPDATEs that bypass loaded objects."""
    session.expire_all()
    fresh = session.get(AuthSession, auth_session.id)
    assert fresh is not None
    return fresh


def rotate(
    sessions: SqlSessionRepository, auth_session: AuthSession, presented: str, *, now: datetime = NOW
) -> bool:
    return sessions.rotate(
        auth_session.id, presented_hash=presented, new_hash="new-" + presented, now=now, expires_at=now + TTL
    )


def test_session_repository_get_returns_the_added_session(
    session: Session, sessions: SqlSessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, token_hash="h1")
    session.expunge_all()

    found = sessions.get(opened.id)

    assert found is not None
    assert (found.user_id, found.refresh_token_hash, found.revoked_at) == (owner.id, "h1", None)


def test_session_repository_rotate_succeeds_with_the_current_hash(
    session: Session, sessions: SqlSessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, token_hash="current")
    later = NOW + timedelta(minutes=5)

    assert rotate(sessions, opened, "current", now=later) is True

    stored = reloaded(session, opened)
    assert stored.refresh_token_hash == "new-current"
    assert stored.rotated_at == later
    assert stored.expires_at == later + TTL


def test_session_repository_rotate_fails_with_a_hash_already_rotated(
    sessions: SqlSessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, token_hash="first")
    assert rotate(sessions, opened, "first") is True

    assert rotate(sessions, opened, "first") is False


def test_session_repository_rotate_fails_with_a_wrong_hash_and_changes_nothing(
    session: Session, sessions: SqlSessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, token_hash="right")

    assert rotate(sessions, opened, "wrong") is False
    assert reloaded(session, opened).refresh_token_hash == "right"


def test_session_repository_rotate_fails_after_revoke(sessions: SqlSessionRepository, owner: User) -> None:
    opened = open_session(sessions, owner, token_hash="current")
    sessions.revoke(opened.id, reason="logout", now=NOW)

    assert rotate(sessions, opened, "current") is False


@pytest.mark.parametrize(
    "after_expiry", [timedelta(0), timedelta(seconds=1)], ids=["at-expiry", "past-expiry"]
)
def test_session_repository_rotate_fails_once_expired(
    sessions: SqlSessionRepository, owner: User, after_expiry: timedelta
) -> None:
    expires_at = NOW + timedelta(hours=1)
    opened = open_session(sessions, owner, token_hash="current", expires_at=expires_at)

    assert rotate(sessions, opened, "current", now=expires_at + after_expiry) is False


def test_session_repository_rotate_fails_for_an_unknown_session(sessions: SqlSessionRepository) -> None:
    ghost = AuthSession(id=uuid.uuid4())

    assert rotate(sessions, ghost, "anything") is False


def test_session_repository_revoke_records_time_and_reason(
    session: Session, sessions: SqlSessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner)

    sessions.revoke(opened.id, reason="logout", now=NOW)

    stored = reloaded(session, opened)
    assert (stored.revoked_at, stored.revoked_reason) == (NOW, "logout")


def test_session_repository_revoke_keeps_the_first_revocation(
    session: Session, sessions: SqlSessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner)
    sessions.revoke(opened.id, reason="logout", now=NOW)

    sessions.revoke(opened.id, reason="reuse_detected", now=NOW + timedelta(hours=1))

    stored = reloaded(session, opened)
    assert (stored.revoked_at, stored.revoked_reason) == (NOW, "logout")


def test_session_repository_revoke_all_for_user_revokes_every_live_session(
    session: Session, sessions: SqlSessionRepository, owner: User
) -> None:
    opened = [open_session(sessions, owner) for _ in range(3)]

    count = sessions.revoke_all_for_user(
        owner.id, except_session_id=None, reason="credentials_changed", now=NOW
    )

    assert count == 3
    assert all(reloaded(session, s).revoked_reason == "credentials_changed" for s in opened)


def test_session_repository_revoke_all_for_user_spares_the_excepted_session(
    session: Session, sessions: SqlSessionRepository, owner: User
) -> None:
    kept, *others = [open_session(sessions, owner) for _ in range(3)]

    count = sessions.revoke_all_for_user(
        owner.id, except_session_id=kept.id, reason="credentials_changed", now=NOW
    )

    assert count == 2
    assert reloaded(session, kept).revoked_at is None
    assert all(reloaded(session, s).revoked_at == NOW for s in others)


def test_session_repository_revoke_all_for_user_leaves_other_users_alone(
    session: Session, users: SqlUserRepository, sessions: SqlSessionRepository, owner: User
) -> None:
    stranger = new_user()
    users.add(stranger)
    theirs = open_session(sessions, stranger)
    open_session(sessions, owner)

    sessions.revoke_all_for_user(owner.id, except_session_id=None, reason="credentials_changed", now=NOW)

    assert reloaded(session, theirs).revoked_at is None


def test_session_repository_revoke_all_for_user_counts_only_sessions_it_revoked(
    session: Session, sessions: SqlSessionRepository, owner: User
) -> None:
    earlier = open_session(sessions, owner)
    sessions.revoke(earlier.id, reason="logout", now=NOW)
    open_session(sessions, owner)

    count = sessions.revoke_all_for_user(
        owner.id, except_session_id=None, reason="credentials_changed", now=NOW + timedelta(hours=1)
    )

    assert count == 1
    assert reloaded(session, earlier).revoked_reason == "logout"


def test_session_repository_find_active_user_returns_the_user_of_a_live_session(
    sessions: SqlSessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner)

    found = sessions.find_active_user(user_id=owner.id, session_id=opened.id, now=NOW)

    assert found is not None
    assert found.id == owner.id


def test_session_repository_find_active_user_is_none_for_a_revoked_session(
    sessions: SqlSessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner)
    sessions.revoke(opened.id, reason="logout", now=NOW)

    assert sessions.find_active_user(user_id=owner.id, session_id=opened.id, now=NOW) is None


def test_session_repository_find_active_user_is_none_for_an_expired_session(
    sessions: SqlSessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, expires_at=NOW)

    assert sessions.find_active_user(user_id=owner.id, session_id=opened.id, now=NOW) is None


def test_session_repository_find_active_user_is_none_for_an_inactive_user(
    session: Session, sessions: SqlSessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner)
    session.execute(sa.update(User).where(User.id == owner.id).values(is_active=False))

    assert sessions.find_active_user(user_id=owner.id, session_id=opened.id, now=NOW) is None


def test_session_repository_find_active_user_is_none_for_another_users_session(
    users: SqlUserRepository, sessions: SqlSessionRepository, owner: User
) -> None:
    stranger = new_user()
    users.add(stranger)
    theirs = open_session(sessions, stranger)

    assert sessions.find_active_user(user_id=owner.id, session_id=theirs.id, now=NOW) is None


def test_session_repository_find_active_user_is_none_for_an_unknown_session(
    sessions: SqlSessionRepository, owner: User
) -> None:
    open_session(sessions, owner)

    assert sessions.find_active_user(user_id=owner.id, session_id=uuid.uuid4(), now=NOW) is None


def test_session_repository_sessions_are_deleted_with_their_user(
    session: Session, users: SqlUserRepository, sessions: SqlSessionRepository, owner: User
) -> None:
    opened = [open_session(sessions, owner).id for _ in range(2)]
    session.expunge_all()
    stored_owner = users.get(owner.id)
    assert stored_owner is not None

    users.delete(stored_owner)

    remaining = session.scalar(
        sa.select(sa.func.count()).select_from(AuthSession).where(AuthSession.id.in_(opened))
    )
    assert remaining == 0
