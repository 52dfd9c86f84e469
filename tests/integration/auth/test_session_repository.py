"""The session repository contract, on SQLite, PostgreSQL and the fake: conditional rotation within the
session's absolute end, revocation, the per-request join, the cascade."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.auth.models import AuthSession
from app.auth.repository import SessionRepository
from app.domain.clients import Client
from app.users.models import User
from app.users.repository import UserRepository
from tests.contracts import Store
from tests.integration.users.factories import new_user

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(days=30)
LIFETIME = timedelta(days=90)
CLIENT = Client(address="198.51.100.7", user_agent="KeelTest/1.0")


@pytest.fixture
def users(store: Store) -> UserRepository:
    return store.users


@pytest.fixture
def sessions(store: Store) -> SessionRepository:
    return store.sessions


@pytest.fixture
def owner(users: UserRepository) -> User:
    user = new_user()
    users.add(user)
    return user


def open_session(
    sessions: SessionRepository,
    user: User,
    *,
    token_hash: str | None = None,
    expires_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> AuthSession:
    auth_session = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        refresh_token_hash=token_hash or uuid.uuid4().hex,
        created_at=NOW,
        rotated_at=NOW,
        expires_at=expires_at or NOW + TTL,
        ends_at=ends_at or NOW + LIFETIME,
        client_address=CLIENT.address,
        user_agent=CLIENT.user_agent,
        authenticated_at=NOW,
        amr="pwd",
    )
    sessions.add(auth_session)
    return auth_session


def rotate(
    sessions: SessionRepository,
    auth_session: AuthSession,
    presented: str,
    *,
    now: datetime = NOW,
    client: Client = CLIENT,
) -> bool:
    return None is not sessions.rotate(
        auth_session.id,
        presented_hash=presented,
        new_hash="new-" + presented,
        now=now,
        expires_at=now + TTL,
        client=client,
    )


def test_session_repository_get_returns_the_added_session(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, token_hash="h1")
    store.forget()

    found = sessions.get(opened.id)

    assert found is not None
    assert (found.user_id, found.refresh_token_hash, found.revoked_at) == (owner.id, "h1", None)


def test_session_repository_rotate_succeeds_with_the_current_hash(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, token_hash="current")
    later = NOW + timedelta(minutes=5)

    assert rotate(sessions, opened, "current", now=later) is True

    stored = store.reload(opened)
    assert stored.refresh_token_hash == "new-current"
    assert stored.rotated_at == later
    assert stored.expires_at == later + TTL


def test_session_repository_rotate_carries_the_sessions_last_proof_of_the_password_on(
    sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, token_hash="current")
    later = NOW + timedelta(days=2)

    rotated = sessions.rotate(
        opened.id, presented_hash="current", new_hash="next", now=later, expires_at=later + TTL, client=CLIENT
    )

    assert rotated is not None
    assert (rotated.expires_at, rotated.authenticated_at, rotated.amr) == (later + TTL, NOW, ("pwd",))


def test_session_repository_reauthenticate_records_the_new_proof_for_later_rotations(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, token_hash="current")
    proved = NOW + timedelta(hours=3)

    assert sessions.reauthenticate(opened.id, authenticated_at=proved, amr=("pwd", "otp"), now=proved)

    stored = store.reload(opened)
    assert (stored.authenticated_at, stored.amr) == (proved, "pwd otp")
    later = proved + timedelta(hours=1)
    rotated = sessions.rotate(
        opened.id, presented_hash="current", new_hash="next", now=later, expires_at=later + TTL, client=CLIENT
    )
    assert rotated is not None
    assert (rotated.authenticated_at, rotated.amr) == (proved, ("pwd", "otp"))


def test_session_repository_reauthenticate_refuses_an_ended_session(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    revoked = open_session(sessions, owner)
    sessions.revoke(revoked.id, reason="logout", now=NOW)
    expired = open_session(sessions, owner, expires_at=NOW + timedelta(minutes=1))
    later = NOW + timedelta(minutes=2)

    assert not sessions.reauthenticate(revoked.id, authenticated_at=later, amr=("pwd",), now=later)
    assert not sessions.reauthenticate(expired.id, authenticated_at=later, amr=("pwd",), now=later)
    assert not sessions.reauthenticate(uuid.uuid4(), authenticated_at=later, amr=("pwd",), now=later)
    assert store.reload(revoked).authenticated_at == NOW
    assert store.reload(expired).authenticated_at == NOW


def test_session_repository_rotate_fails_with_a_hash_already_rotated(
    sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, token_hash="first")
    assert rotate(sessions, opened, "first") is True

    assert rotate(sessions, opened, "first") is False


def test_session_repository_rotate_fails_with_a_wrong_hash_and_changes_nothing(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, token_hash="right")

    assert rotate(sessions, opened, "wrong") is False
    assert store.reload(opened).refresh_token_hash == "right"


def test_session_repository_rotate_fails_after_revoke(sessions: SessionRepository, owner: User) -> None:
    opened = open_session(sessions, owner, token_hash="current")
    sessions.revoke(opened.id, reason="logout", now=NOW)

    assert rotate(sessions, opened, "current") is False


@pytest.mark.parametrize(
    "after_expiry", [timedelta(0), timedelta(seconds=1)], ids=["at-expiry", "past-expiry"]
)
def test_session_repository_rotate_fails_once_expired(
    sessions: SessionRepository, owner: User, after_expiry: timedelta
) -> None:
    expires_at = NOW + timedelta(hours=1)
    opened = open_session(sessions, owner, token_hash="current", expires_at=expires_at)

    assert rotate(sessions, opened, "current", now=expires_at + after_expiry) is False


def test_session_repository_rotate_fails_for_an_unknown_session(sessions: SessionRepository) -> None:
    ghost = AuthSession(id=uuid.uuid4())

    assert rotate(sessions, ghost, "anything") is False


def test_session_repository_revoke_records_time_and_reason(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner)

    sessions.revoke(opened.id, reason="logout", now=NOW)

    stored = store.reload(opened)
    assert (stored.revoked_at, stored.revoked_reason) == (NOW, "logout")


def test_session_repository_revoke_keeps_the_first_revocation(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner)
    sessions.revoke(opened.id, reason="logout", now=NOW)

    sessions.revoke(opened.id, reason="reuse_detected", now=NOW + timedelta(hours=1))

    stored = store.reload(opened)
    assert (stored.revoked_at, stored.revoked_reason) == (NOW, "logout")


def test_session_repository_revoke_all_for_user_revokes_every_live_session(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    opened = [open_session(sessions, owner) for _ in range(3)]

    count = sessions.revoke_all_for_user(
        owner.id, except_session_id=None, reason="credentials_changed", now=NOW
    )

    assert count == 3
    assert all(store.reload(s).revoked_reason == "credentials_changed" for s in opened)


def test_session_repository_revoke_all_for_user_spares_the_excepted_session(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    kept, *others = [open_session(sessions, owner) for _ in range(3)]

    count = sessions.revoke_all_for_user(
        owner.id, except_session_id=kept.id, reason="credentials_changed", now=NOW
    )

    assert count == 2
    assert store.reload(kept).revoked_at is None
    assert all(store.reload(s).revoked_at == NOW for s in others)


def test_session_repository_revoke_all_for_user_leaves_other_users_alone(
    store: Store, users: UserRepository, sessions: SessionRepository, owner: User
) -> None:
    stranger = new_user()
    users.add(stranger)
    theirs = open_session(sessions, stranger)
    open_session(sessions, owner)

    sessions.revoke_all_for_user(owner.id, except_session_id=None, reason="credentials_changed", now=NOW)

    assert store.reload(theirs).revoked_at is None


def test_session_repository_revoke_all_for_user_counts_only_sessions_it_revoked(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    earlier = open_session(sessions, owner)
    sessions.revoke(earlier.id, reason="logout", now=NOW)
    open_session(sessions, owner)

    count = sessions.revoke_all_for_user(
        owner.id, except_session_id=None, reason="credentials_changed", now=NOW + timedelta(hours=1)
    )

    assert count == 1
    assert store.reload(earlier).revoked_reason == "logout"


def test_session_repository_find_active_user_returns_the_user_of_a_live_session(
    sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner)

    found = sessions.find_active_user(user_id=owner.id, session_id=opened.id, now=NOW)

    assert found is not None
    assert found.id == owner.id


def test_session_repository_find_active_user_is_none_for_a_revoked_session(
    sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner)
    sessions.revoke(opened.id, reason="logout", now=NOW)

    assert sessions.find_active_user(user_id=owner.id, session_id=opened.id, now=NOW) is None


def test_session_repository_find_active_user_is_none_for_an_expired_session(
    sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, expires_at=NOW)

    assert sessions.find_active_user(user_id=owner.id, session_id=opened.id, now=NOW) is None


def test_session_repository_find_active_user_is_none_for_an_inactive_user(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner)
    store.deactivate(owner)

    assert sessions.find_active_user(user_id=owner.id, session_id=opened.id, now=NOW) is None


def test_session_repository_find_active_user_is_none_for_another_users_session(
    users: UserRepository, sessions: SessionRepository, owner: User
) -> None:
    stranger = new_user()
    users.add(stranger)
    theirs = open_session(sessions, stranger)

    assert sessions.find_active_user(user_id=owner.id, session_id=theirs.id, now=NOW) is None


def test_session_repository_find_active_user_is_none_for_an_unknown_session(
    sessions: SessionRepository, owner: User
) -> None:
    open_session(sessions, owner)

    assert sessions.find_active_user(user_id=owner.id, session_id=uuid.uuid4(), now=NOW) is None


def test_session_repository_sessions_are_deleted_with_their_user(
    store: Store, users: UserRepository, sessions: SessionRepository, owner: User
) -> None:
    opened = [open_session(sessions, owner).id for _ in range(2)]
    store.forget()
    stored_owner = users.get(owner.id)
    assert stored_owner is not None

    users.delete(stored_owner)

    assert store.count_sessions(opened) == 0


def test_session_repository_rotate_never_extends_past_the_absolute_end(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, token_hash="current", ends_at=NOW + timedelta(days=10))

    assert rotate(sessions, opened, "current", now=NOW + timedelta(days=1)) is True

    assert store.reload(opened).expires_at == NOW + timedelta(days=10)


def test_session_repository_rotate_records_the_rotating_client(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, token_hash="current")
    other = Client(address="203.0.113.9", user_agent="Other/2.0")

    assert rotate(sessions, opened, "current", client=other) is True

    stored = store.reload(opened)
    assert (stored.client_address, stored.user_agent) == (other.address, other.user_agent)
    assert stored.previous_token_hash == "current"


def test_session_repository_rotate_returns_the_new_expiry(
    store: Store, sessions: SessionRepository, owner: User
) -> None:
    opened = open_session(sessions, owner, token_hash="current", ends_at=NOW + timedelta(days=10))
    later = NOW + timedelta(days=1)

    returned = sessions.rotate(
        opened.id, presented_hash="current", new_hash="next", now=later, expires_at=later + TTL, client=CLIENT
    )

    assert returned is not None
    assert returned.expires_at == NOW + timedelta(days=10) == store.reload(opened).expires_at


def test_list_live_holds_only_the_owners_usable_sessions_newest_use_first(
    sessions: SessionRepository, users: UserRepository, owner: User
) -> None:
    stranger = new_user()
    users.add(stranger)
    older = open_session(sessions, owner)
    newer = open_session(sessions, owner)
    sessions.rotate(
        newer.id,
        presented_hash=newer.refresh_token_hash,
        new_hash="f" * 64,
        now=NOW + timedelta(minutes=5),
        expires_at=NOW + TTL,
        client=CLIENT,
    )
    revoked = open_session(sessions, owner)
    sessions.revoke(revoked.id, reason="logout", now=NOW)
    open_session(sessions, owner, expires_at=NOW - timedelta(seconds=1))
    open_session(sessions, stranger)
    assert [s.id for s in sessions.list_live(owner.id, now=NOW)] == [newer.id, older.id]


def test_revoke_owned_ends_only_a_live_session_of_its_owner(
    sessions: SessionRepository, users: UserRepository, owner: User, store: Store
) -> None:
    stranger = new_user()
    users.add(stranger)
    mine = open_session(sessions, owner)
    theirs = open_session(sessions, stranger)
    assert sessions.revoke_owned(theirs.id, user_id=owner.id, reason="ended", now=NOW) is False
    assert sessions.revoke_owned(uuid.uuid4(), user_id=owner.id, reason="ended", now=NOW) is False
    assert sessions.revoke_owned(mine.id, user_id=owner.id, reason="ended", now=NOW) is True
    assert sessions.revoke_owned(mine.id, user_id=owner.id, reason="ended", now=NOW) is False
    assert [s.id for s in sessions.list_live(stranger.id, now=NOW)] == [theirs.id]
    assert sessions.list_live(owner.id, now=NOW) == []
