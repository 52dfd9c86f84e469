"""The user repository contract, on SQLite, PostgreSQL and the fake: lookups, uniqueness, optimistic
versions, admin counts, keyset pages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.domain.errors import PreconditionFailed
from app.domain.pagination import Cursor
from app.users.errors import EmailTaken
from app.users.models import User
from app.users.repository import UserRepository
from tests.contracts import Store
from tests.integration.users.factories import new_user

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))
MINUS_FIVE = timezone(timedelta(hours=-5))


@pytest.fixture
def users(store: Store) -> UserRepository:
    return store.users


def added(users: UserRepository, *created: User) -> list[User]:
    for user in created:
        users.add(user)
    return list(created)


def test_user_repository_get_returns_the_added_user(store: Store, users: UserRepository) -> None:
    user = new_user()
    users.add(user)
    store.forget()

    found = users.get(user.id)

    assert found is not None
    assert (found.id, found.email, found.version) == (user.id, user.email, 1)


def test_user_repository_get_returns_none_for_an_unknown_id(users: UserRepository) -> None:
    assert users.get(uuid.uuid4()) is None


def test_user_repository_get_returns_aware_utc_timestamps(store: Store, users: UserRepository) -> None:
    user = new_user(created_at=datetime(2030, 6, 1, 14, 30, tzinfo=PLUS_TWO))
    users.add(user)
    store.forget()

    found = users.get(user.id)

    assert found is not None
    assert found.created_at == datetime(2030, 6, 1, 12, 30, tzinfo=UTC)
    assert found.created_at.utcoffset() == timedelta(0)


def test_user_repository_get_by_email_ignores_case_and_surrounding_spaces(users: UserRepository) -> None:
    user = added(users, new_user(email="Mixed.Case@Example.com"))[0]

    found = users.get_by_email("  mixed.CASE@example.COM ")

    assert found is not None
    assert found.id == user.id


def test_user_repository_get_by_email_returns_none_for_an_unknown_email(users: UserRepository) -> None:
    added(users, new_user())

    assert users.get_by_email("nobody@example.com") is None


def test_user_repository_add_raises_email_taken_for_a_duplicate_normalized_email(
    users: UserRepository,
) -> None:
    added(users, new_user(email="taken@example.com"))

    with pytest.raises(EmailTaken):
        users.add(new_user(email=" TAKEN@example.com"))


def test_user_repository_add_keeps_committed_users_when_a_duplicate_is_refused(
    store: Store, users: UserRepository
) -> None:
    first = added(users, new_user(email="first@example.com"))[0]
    store.commit()

    with pytest.raises(EmailTaken):
        users.add(new_user(email="First@Example.com"))

    found = users.get_by_email("first@example.com")
    assert found is not None
    assert found.id == first.id


def test_user_repository_flush_raises_precondition_failed_when_the_row_changed_underneath(
    store: Store, users: UserRepository
) -> None:
    user = added(users, new_user())[0]
    # Another writer bumps the version behind the ORM's back.
    store.bump_version_behind(user)
    user.name = "Lost Update"

    with pytest.raises(PreconditionFailed):
        users.flush()


def test_user_repository_flush_bumps_the_version(store: Store, users: UserRepository) -> None:
    user = added(users, new_user())[0]
    user.name = "Renamed"

    users.flush()

    assert store.stored_version(user) == 2


def test_user_repository_a_verified_address_alone_bumps_the_version(
    store: Store, users: UserRepository
) -> None:
    """Every column is under the version: an ETag read before the address was verified is stale."""
    unverified = new_user()
    unverified.email_verified = False
    user = added(users, unverified)[0]
    user.email_verified = True

    users.flush()

    assert store.stored_version(user) == 2


def test_user_repository_delete_removes_the_user(store: Store, users: UserRepository) -> None:
    user = added(users, new_user())[0]

    users.delete(user)
    store.forget()

    assert users.get(user.id) is None


@pytest.mark.parametrize("lock", [False, True])
def test_user_repository_count_active_admins_counts_only_active_admins(
    users: UserRepository, lock: bool
) -> None:
    added(
        users,
        new_user(role="admin"),
        new_user(role="admin"),
        new_user(role="admin", is_active=False),
        new_user(role="user"),
    )

    assert users.count_active_admins(lock=lock) == 2


def test_user_repository_count_active_admins_is_zero_without_admins(users: UserRepository) -> None:
    added(users, new_user(role="user"))

    assert users.count_active_admins() == 0


def page_ids(users: UserRepository, **kwargs: object) -> list[uuid.UUID]:
    params: dict[str, object] = {"limit": 100, "after": None, "role": None, "is_active": None, **kwargs}
    return [user.id for user in users.list_page(**params)]  # type: ignore[arg-type]


def test_user_repository_list_page_orders_newest_first_then_by_id_descending(
    users: UserRepository,
) -> None:
    low, high = sorted([uuid.uuid4(), uuid.uuid4()])
    oldest = added(users, new_user(created_at=T0 - timedelta(days=1)))[0]
    added(users, new_user(created_at=T0, user_id=low), new_user(created_at=T0, user_id=high))
    newest = added(users, new_user(created_at=T0 + timedelta(microseconds=1)))[0]

    assert page_ids(users) == [newest.id, high, low, oldest.id]


def test_user_repository_list_page_returns_at_most_limit_rows(users: UserRepository) -> None:
    created = added(users, *(new_user(created_at=T0 + timedelta(seconds=n)) for n in range(5)))

    assert page_ids(users, limit=2) == [created[4].id, created[3].id]


def test_user_repository_list_page_continues_strictly_after_the_cursor(users: UserRepository) -> None:
    created = added(users, *(new_user(created_at=T0 + timedelta(seconds=n)) for n in range(4)))
    cursor = Cursor(created_at=created[2].created_at, id=created[2].id)

    assert page_ids(users, after=cursor) == [created[1].id, created[0].id]


def test_user_repository_list_page_continues_within_a_timestamp_by_id(users: UserRepository) -> None:
    ids = sorted(uuid.uuid4() for _ in range(4))
    added(users, *(new_user(created_at=T0, user_id=user_id) for user_id in ids))
    older = added(users, new_user(created_at=T0 - timedelta(microseconds=1)))[0]

    after_second = page_ids(users, after=Cursor(created_at=T0, id=ids[2]))

    assert after_second == [ids[1], ids[0], older.id]


def test_user_repository_list_page_walks_ties_exactly_once(users: UserRepository) -> None:
    created = {u.id for u in added(users, *(new_user(created_at=T0) for _ in range(7)))}
    seen: list[uuid.UUID] = []
    after = None
    while True:
        page = users.list_page(limit=3, after=after, role=None, is_active=None)
        seen.extend(user.id for user in page)
        if len(page) < 3:
            break
        after = Cursor(created_at=page[-1].created_at, id=page[-1].id)

    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))


def test_user_repository_list_page_accepts_a_cursor_in_another_offset(users: UserRepository) -> None:
    created = added(users, *(new_user(created_at=T0 + timedelta(seconds=n)) for n in range(3)))
    shifted = created[1].created_at.astimezone(MINUS_FIVE)

    assert page_ids(users, after=Cursor(created_at=shifted, id=created[1].id)) == [created[0].id]


@pytest.mark.parametrize("role", ["user", "admin"])
def test_user_repository_list_page_filters_by_role(users: UserRepository, role: str) -> None:
    plain = added(users, new_user(role="user"), new_user(role="user"))
    admins = added(users, new_user(role="admin"))
    expected = {u.id for u in (plain if role == "user" else admins)}

    assert set(page_ids(users, role=role)) == expected


@pytest.mark.parametrize("is_active", [True, False])
def test_user_repository_list_page_filters_by_is_active(users: UserRepository, is_active: bool) -> None:
    active = added(users, new_user(), new_user(role="admin"))
    inactive = added(users, new_user(is_active=False))
    expected = {u.id for u in (active if is_active else inactive)}

    assert set(page_ids(users, is_active=is_active)) == expected


def test_user_repository_list_page_combines_filters(users: UserRepository) -> None:
    wanted = added(users, new_user(role="admin", is_active=False))[0]
    added(users, new_user(role="admin"), new_user(role="user", is_active=False))

    assert page_ids(users, role="admin", is_active=False) == [wanted.id]


def test_user_repository_list_page_combines_filters_with_a_cursor_and_a_limit(users: UserRepository) -> None:
    wanted = added(
        users,
        *(new_user(role="admin", is_active=False, created_at=T0 + timedelta(seconds=n)) for n in range(4)),
    )
    active_admin, inactive_user = added(
        users,
        new_user(role="admin", created_at=T0 + timedelta(seconds=1, milliseconds=500)),
        new_user(role="user", is_active=False, created_at=T0 + timedelta(seconds=1, milliseconds=500)),
    )
    after = Cursor(created_at=wanted[3].created_at, id=wanted[3].id)

    assert page_ids(users, limit=2, after=after, role="admin", is_active=False) == [
        wanted[2].id,
        wanted[1].id,
    ]
    assert page_ids(users, limit=2, after=after, role="user") == [inactive_user.id]
    assert page_ids(users, limit=5, after=after, is_active=True) == [active_admin.id]
    assert page_ids(users, limit=1, after=Cursor(created_at=T0, id=wanted[0].id), role="admin") == []


def test_user_repository_bulk_insert_writes_every_row(store: Store, users: UserRepository) -> None:
    rows = []
    for n in range(3):
        email = f"bulk{n}.{uuid.uuid4().hex[:6]}@example.com"
        rows.append(
            {
                "id": uuid.uuid4(),
                "email": email,
                "email_normalized": email,
                "name": f"Bulk {n}",
                "password_hash": "not-a-real-hash",
                "role": "user",
                "is_active": True,
                "version": 1,
                "created_at": T0,
                "updated_at": T0,
            }
        )

    users.bulk_insert(rows)

    assert {u.id for u in users.list_page(limit=10, after=None, role=None, is_active=None)} == {
        row["id"] for row in rows
    }


def test_user_repository_delete_raises_precondition_failed_when_the_row_changed_underneath(
    store: Store, users: UserRepository
) -> None:
    user = added(users, new_user())[0]
    store.bump_version_behind(user)

    with pytest.raises(PreconditionFailed):
        users.delete(user)
