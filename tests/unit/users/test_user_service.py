import uuid
from datetime import timedelta

import pytest

from app.domain.attempts import TooManyAttempts
from app.domain.errors import Forbidden, InvalidInput, PreconditionFailed
from app.domain.pagination import Cursor
from app.domain.reauthentication import DEFAULT_MAX_AGE, InvalidCurrentPassword, ReauthenticationRequired
from app.domain.versions import ExpectedVersion
from app.users.errors import EmailTaken, LastAdmin, UserNotFound
from app.users.models import User
from app.users.service import NewUser, UserChanges, UserService
from app.users.verification import EmailVerification
from app.web import etags
from tests.fakes import (
    DEFAULT_PASSWORD,
    START,
    FakeClock,
    FakePasswordHasher,
    FakeSessionBudget,
    FakeSessionRepository,
    FakeUnitOfWork,
    FakeUserRepository,
    add_user,
    open_session,
    principal_of,
)

NEW_PASSWORD = "Amber-Kestrel-Window-77"


def new_user(email: str = "ann@example.com", password: str = NEW_PASSWORD, role: str = "user") -> NewUser:
    return NewUser(email=email, password=password, name="Ann", role=role)


def tag_of(user: User) -> str:
    return etags.etag_for(user.id, user.version)


def if_match(header: str, user: User) -> ExpectedVersion | None:
    """An If-Match header as the route hands it to the service."""
    return etags.expected_version(header, user.id)


# register / create / provision


def test_register_stores_user_with_hashed_password(
    service: UserService, users: FakeUserRepository, uow: FakeUnitOfWork
) -> None:
    user = service.register(new_user())
    assert users.get(user.id) is user
    assert user.password_hash != NEW_PASSWORD
    assert FakePasswordHasher().verify(user.password_hash, NEW_PASSWORD)
    assert (user.role, user.is_active, user.name) == ("user", True, "Ann")
    assert uow.commits == 1


def test_register_ignores_requested_role(service: UserService) -> None:
    user = service.register(new_user(role="admin"))
    assert user.role == "user"


def test_register_trims_email_and_normalizes_it_for_comparison(service: UserService) -> None:
    user = service.register(new_user(email="  Ann.Lee@Example.COM \t"))
    assert user.email == "Ann.Lee@Example.COM"
    assert user.email_normalized == "ann.lee@example.com"


def test_register_stamps_created_and_updated_at_with_clock(service: UserService, clock: FakeClock) -> None:
    user = service.register(new_user())
    assert user.created_at == clock.now
    assert user.updated_at == clock.now


@pytest.mark.parametrize("password", ["password123", "PassWord123", "qwertyuiop"])
def test_register_rejects_common_password(
    service: UserService,
    users: FakeUserRepository,
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
    password: str,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.register(new_user(password=password))
    assert caught.value.field == "password"
    assert caught.value.location == "json"
    assert len(users) == 0
    assert hasher.hashed == []
    assert uow.commits == 0


def test_register_raises_email_taken_when_email_differs_only_in_case_and_spaces(
    service: UserService, users: FakeUserRepository, uow: FakeUnitOfWork
) -> None:
    service.register(new_user(email="ann@example.com"))
    with pytest.raises(EmailTaken):
        service.register(new_user(email=" ANN@Example.com "))
    assert len(users) == 1
    assert uow.commits == 1


def test_create_by_admin_keeps_requested_role(service: UserService, admin: User) -> None:
    user = service.create(principal_of(admin), new_user(role="admin"))
    assert user.role == "admin"


def test_create_by_non_admin_is_forbidden(
    service: UserService, users: FakeUserRepository, member: User, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(Forbidden):
        service.create(principal_of(member), new_user())
    assert users.get_by_email("ann@example.com") is None
    assert uow.commits == 0


def test_create_rejects_common_password(service: UserService, admin: User) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.create(principal_of(admin), new_user(password="password123"))
    assert caught.value.field == "password"


def test_create_raises_email_taken_for_existing_email(service: UserService, admin: User) -> None:
    with pytest.raises(EmailTaken):
        service.create(principal_of(admin), new_user(email=admin.email.upper()))


def test_provision_creates_admin_without_an_actor(service: UserService, uow: FakeUnitOfWork) -> None:
    user = service.provision(new_user(email=" Root@Example.com", role="admin"))
    assert (user.role, user.email, user.email_normalized) == ("admin", "Root@Example.com", "root@example.com")
    assert uow.commits == 1


def test_provision_rejects_common_password(service: UserService) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.provision(new_user(password="password123", role="admin"))
    assert caught.value.field == "password"


def test_provision_raises_email_taken_for_existing_email(service: UserService, member: User) -> None:
    with pytest.raises(EmailTaken):
        service.provision(new_user(email=member.email, role="admin"))


# get


def test_get_returns_own_record(service: UserService, member: User) -> None:
    assert service.get(principal_of(member), member.id) is member


def test_get_lets_admin_read_another_user(service: UserService, admin: User, member: User) -> None:
    assert service.get(principal_of(admin), member.id) is member


def test_get_forbids_user_reading_another_existing_user(
    service: UserService, member: User, users: FakeUserRepository, hasher: FakePasswordHasher
) -> None:
    other = add_user(users, hasher)
    with pytest.raises(Forbidden):
        service.get(principal_of(member), other.id)


def test_get_forbids_user_reading_a_missing_id(service: UserService, member: User) -> None:
    with pytest.raises(Forbidden):
        service.get(principal_of(member), uuid.uuid4())


def test_get_raises_user_not_found_for_admin_and_missing_id(service: UserService, admin: User) -> None:
    with pytest.raises(UserNotFound):
        service.get(principal_of(admin), uuid.uuid4())


# list


@pytest.fixture
def five_more(users: FakeUserRepository, hasher: FakePasswordHasher, clock: FakeClock) -> list[User]:
    """Five users created after the admin, the last two in the same instant (ties broken by id)."""
    created = []
    for n in range(5):
        if n < 4:
            clock.advance(timedelta(minutes=1))
        created.append(add_user(users, hasher))
    return created


def test_list_forbids_non_admin(service: UserService, member: User) -> None:
    with pytest.raises(Forbidden):
        service.list(principal_of(member), limit=20, after=None)


def test_list_returns_newest_first_with_id_breaking_ties(
    service: UserService, admin: User, five_more: list[User]
) -> None:
    page = service.list(principal_of(admin), limit=20, after=None)
    expected = sorted([admin, *five_more], key=lambda u: (u.created_at, u.id), reverse=True)
    assert page.items == expected
    assert page.items[-1] is admin


def test_list_gives_cursor_of_last_item_when_more_remain(
    service: UserService, admin: User, five_more: list[User]
) -> None:
    page = service.list(principal_of(admin), limit=2, after=None)
    assert len(page.items) == 2
    last = page.items[-1]
    assert page.next_cursor == Cursor(created_at=last.created_at, id=last.id)


def test_list_gives_no_cursor_when_page_holds_exactly_the_rest(
    service: UserService, admin: User, five_more: list[User]
) -> None:
    page = service.list(principal_of(admin), limit=6, after=None)
    assert len(page.items) == 6
    assert page.next_cursor is None


def test_list_gives_no_cursor_for_empty_page(service: UserService, admin: User) -> None:
    page = service.list(principal_of(admin), limit=5, after=None, role="user")
    assert page.items == []
    assert page.next_cursor is None


def test_list_walks_every_user_exactly_once_across_pages(
    service: UserService, admin: User, five_more: list[User]
) -> None:
    seen: list[User] = []
    cursor = None
    for _ in range(10):
        page = service.list(principal_of(admin), limit=2, after=cursor)
        seen.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [u.id for u in seen] == [
        u.id for u in sorted([admin, *five_more], key=lambda u: (u.created_at, u.id), reverse=True)
    ]


def test_list_filters_by_role(
    service: UserService, admin: User, member: User, users: FakeUserRepository, hasher: FakePasswordHasher
) -> None:
    other_admin = add_user(users, hasher, role="admin")
    page = service.list(principal_of(admin), limit=20, after=None, role="admin")
    assert {u.id for u in page.items} == {admin.id, other_admin.id}


def test_list_filters_by_is_active(
    service: UserService, admin: User, member: User, users: FakeUserRepository, hasher: FakePasswordHasher
) -> None:
    disabled = add_user(users, hasher, is_active=False)
    inactive = service.list(principal_of(admin), limit=20, after=None, is_active=False)
    active = service.list(principal_of(admin), limit=20, after=None, is_active=True)
    assert [u.id for u in inactive.items] == [disabled.id]
    assert {u.id for u in active.items} == {admin.id, member.id}


# update: who may change what


def test_update_lets_user_rename_themselves_without_current_password(
    service: UserService, member: User, uow: FakeUnitOfWork
) -> None:
    updated = service.update(principal_of(member), member.id, UserChanges(values={"name": "Renamed"}))
    assert updated.name == "Renamed"
    assert uow.commits == 1


@pytest.mark.parametrize("values", [{"role": "admin"}, {"is_active": False}, {"name": "X", "role": "admin"}])
def test_update_forbids_user_admin_only_fields_and_changes_nothing(
    service: UserService, member: User, uow: FakeUnitOfWork, values: dict[str, object]
) -> None:
    version = member.version
    with pytest.raises(Forbidden):
        service.update(principal_of(member), member.id, UserChanges(values=values))
    assert (member.role, member.is_active, member.name) == ("user", True, "Test User")
    assert member.version == version
    assert uow.commits == 0


def test_update_forbids_user_changing_another_user(service: UserService, member: User, admin: User) -> None:
    with pytest.raises(Forbidden):
        service.update(principal_of(member), admin.id, UserChanges(values={"name": "Pwned"}))
    assert admin.name == "Test User"


def test_update_forbids_user_changing_a_missing_id(service: UserService, member: User) -> None:
    with pytest.raises(Forbidden):
        service.update(principal_of(member), uuid.uuid4(), UserChanges(values={"name": "X"}))


def test_update_raises_user_not_found_for_admin_and_missing_id(service: UserService, admin: User) -> None:
    with pytest.raises(UserNotFound):
        service.update(principal_of(admin), uuid.uuid4(), UserChanges(values={"name": "X"}))


def test_update_lets_admin_promote_and_disable_another_user(
    service: UserService, admin: User, member: User
) -> None:
    service.update(principal_of(admin), member.id, UserChanges(values={"role": "admin", "is_active": False}))
    assert (member.role, member.is_active) == ("admin", False)


# update: credentials


@pytest.mark.parametrize("values", [{"email": "new@example.com"}, {"password": NEW_PASSWORD}])
def test_update_requires_current_password_for_own_credentials(
    service: UserService, member: User, uow: FakeUnitOfWork, values: dict[str, object]
) -> None:
    before = (member.email, member.password_hash)
    with pytest.raises(InvalidInput) as caught:
        service.update(principal_of(member), member.id, UserChanges(values=values))
    assert caught.value.field == "current_password"
    assert (member.email, member.password_hash) == before
    assert uow.commits == 0


@pytest.mark.parametrize("values", [{"email": "new@example.com"}, {"password": NEW_PASSWORD}])
def test_update_rejects_wrong_current_password_for_own_credentials(
    service: UserService, member: User, uow: FakeUnitOfWork, values: dict[str, object]
) -> None:
    before = (member.email, member.password_hash)
    with pytest.raises(InvalidCurrentPassword):
        service.update(
            principal_of(member), member.id, UserChanges(values=values, current_password="not-it-at-all")
        )
    assert (member.email, member.password_hash) == before
    # Nothing changed; the one commit is the refused check's own audit record.
    assert uow.commits == 1
    assert [(e.event, e.subject_id) for e in uow.audit.events] == [("current_password_wrong", member.id)]


def test_update_changes_own_email_with_current_password(service: UserService, member: User) -> None:
    service.update(
        principal_of(member),
        member.id,
        UserChanges(values={"email": " New.Me@Example.com "}, current_password=DEFAULT_PASSWORD),
    )
    assert member.email == "New.Me@Example.com"
    assert member.email_normalized == "new.me@example.com"


def test_update_changes_own_password_with_current_password(
    service: UserService, member: User, hasher: FakePasswordHasher
) -> None:
    service.update(
        principal_of(member),
        member.id,
        UserChanges(values={"password": NEW_PASSWORD}, current_password=DEFAULT_PASSWORD),
    )
    assert hasher.verify(member.password_hash, NEW_PASSWORD)
    assert not hasher.verify(member.password_hash, DEFAULT_PASSWORD)


def test_update_lets_admin_change_another_users_email_without_current_password(
    service: UserService, admin: User, member: User
) -> None:
    service.update(principal_of(admin), member.id, UserChanges(values={"email": "moved@example.com"}))
    assert member.email == "moved@example.com"


def test_update_requires_current_password_when_admin_changes_own_email(
    service: UserService, admin: User
) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.update(principal_of(admin), admin.id, UserChanges(values={"email": "boss@example.com"}))
    assert caught.value.field == "current_password"


def test_update_rejects_common_new_password(
    service: UserService, member: User, uow: FakeUnitOfWork, hasher: FakePasswordHasher
) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.update(
            principal_of(member),
            member.id,
            UserChanges(values={"password": "Password123"}, current_password=DEFAULT_PASSWORD),
        )
    assert caught.value.field == "password"
    assert hasher.verify(member.password_hash, DEFAULT_PASSWORD)
    assert uow.commits == 0


def test_update_raises_email_taken_for_another_users_email(
    service: UserService, admin: User, member: User, uow: FakeUnitOfWork
) -> None:
    original = member.email
    with pytest.raises(EmailTaken):
        service.update(principal_of(admin), member.id, UserChanges(values={"email": admin.email.upper()}))
    assert member.email == original
    assert uow.commits == 0


def test_update_allows_changing_case_of_own_email(service: UserService, member: User) -> None:
    service.update(
        principal_of(member),
        member.id,
        UserChanges(values={"email": member.email.upper()}, current_password=DEFAULT_PASSWORD),
    )
    assert member.email == member.email_normalized.upper()


# update: If-Match


def test_update_raises_precondition_failed_for_stale_etag_and_changes_nothing(
    service: UserService, member: User, uow: FakeUnitOfWork
) -> None:
    stale = tag_of(member)
    service.update(principal_of(member), member.id, UserChanges(values={"name": "First"}))
    with pytest.raises(PreconditionFailed):
        service.update(
            principal_of(member),
            member.id,
            UserChanges(values={"name": "Second"}),
            expected_version=if_match(stale, member),
        )
    assert member.name == "First"
    assert uow.commits == 1


def test_update_applies_when_etag_is_current(service: UserService, member: User) -> None:
    service.update(
        principal_of(member),
        member.id,
        UserChanges(values={"name": "Fresh"}),
        expected_version=if_match(tag_of(member), member),
    )
    assert member.name == "Fresh"


def test_update_applies_when_if_match_is_star(service: UserService, member: User) -> None:
    service.update(
        principal_of(member),
        member.id,
        UserChanges(values={"name": "Any"}),
        expected_version=if_match("*", member),
    )
    assert member.name == "Any"


def test_update_applies_when_any_listed_etag_is_current(service: UserService, member: User) -> None:
    candidates = ['"not-the-tag"', tag_of(member)]
    service.update(
        principal_of(member),
        member.id,
        UserChanges(values={"name": "Listed"}),
        expected_version=if_match(", ".join(candidates), member),
    )
    assert member.name == "Listed"


def test_update_compares_if_match_strongly_when_etag_is_weak(service: UserService, member: User) -> None:
    with pytest.raises(PreconditionFailed):
        service.update(
            principal_of(member),
            member.id,
            UserChanges(values={"name": "Weak"}),
            expected_version=if_match(f"W/{tag_of(member)}", member),
        )


def test_update_changes_etag(service: UserService, member: User) -> None:
    before = tag_of(member)
    service.update(principal_of(member), member.id, UserChanges(values={"name": "Versioned"}))
    assert tag_of(member) != before


# update: the last admin


@pytest.mark.parametrize("values", [{"role": "user"}, {"is_active": False}])
def test_update_refuses_to_remove_last_active_admin(
    service: UserService,
    admin: User,
    uow: FakeUnitOfWork,
    values: dict[str, object],
) -> None:
    with pytest.raises(LastAdmin):
        service.update(principal_of(admin), admin.id, UserChanges(values=values))
    assert (admin.role, admin.is_active) == ("admin", True)
    assert uow.commits == 0


def test_update_refuses_to_demote_last_active_admin_when_other_admins_are_disabled(
    service: UserService, admin: User, users: FakeUserRepository, hasher: FakePasswordHasher
) -> None:
    add_user(users, hasher, role="admin", is_active=False)
    with pytest.raises(LastAdmin):
        service.update(principal_of(admin), admin.id, UserChanges(values={"role": "user"}))


def test_update_demotes_admin_when_another_active_admin_remains(
    service: UserService, admin: User, users: FakeUserRepository, hasher: FakePasswordHasher
) -> None:
    other = add_user(users, hasher, role="admin")
    service.update(principal_of(other), admin.id, UserChanges(values={"role": "user"}))
    assert admin.role == "user"


def test_update_lets_last_admin_keep_role_explicitly(service: UserService, admin: User) -> None:
    service.update(principal_of(admin), admin.id, UserChanges(values={"role": "admin", "is_active": True}))
    assert (admin.role, admin.is_active) == ("admin", True)


# update: sessions, time


def test_update_of_own_password_revokes_other_sessions_but_keeps_current(
    service: UserService, member: User, sessions: FakeSessionRepository
) -> None:
    current = open_session(sessions, member, jti="current")
    other = open_session(sessions, member, jti="other")
    service.update(
        principal_of(member, current.id),
        member.id,
        UserChanges(values={"password": NEW_PASSWORD}, current_password=DEFAULT_PASSWORD),
    )
    assert current.revoked_at is None
    assert other.revoked_at is not None
    assert other.revoked_reason == "credentials_changed"


def test_update_of_password_by_admin_revokes_every_session_of_that_user(
    service: UserService, admin: User, member: User, sessions: FakeSessionRepository
) -> None:
    admin_session = open_session(sessions, admin, jti="admin")
    member_sessions = [open_session(sessions, member, jti=f"m{n}") for n in range(2)]
    service.update(
        principal_of(admin, admin_session.id), member.id, UserChanges(values={"password": NEW_PASSWORD})
    )
    assert all(s.revoked_at is not None for s in member_sessions)
    assert admin_session.revoked_at is None


def test_update_disabling_user_revokes_their_sessions(
    service: UserService, admin: User, member: User, sessions: FakeSessionRepository, clock: FakeClock
) -> None:
    session = open_session(sessions, member, jti="m")
    clock.advance(timedelta(minutes=5))
    service.update(principal_of(admin), member.id, UserChanges(values={"is_active": False}))
    assert session.revoked_at == clock.now


def test_update_of_name_keeps_sessions(
    service: UserService, member: User, sessions: FakeSessionRepository
) -> None:
    session = open_session(sessions, member, jti="m")
    service.update(principal_of(member), member.id, UserChanges(values={"name": "Calm"}))
    assert session.revoked_at is None


def test_update_moves_updated_at_with_clock_and_keeps_created_at(
    service: UserService, member: User, clock: FakeClock
) -> None:
    later = clock.advance(timedelta(hours=3))
    service.update(principal_of(member), member.id, UserChanges(values={"name": "Later"}))
    assert member.updated_at == later
    assert member.created_at == START


# delete


def test_delete_removes_own_account(
    service: UserService, member: User, users: FakeUserRepository, uow: FakeUnitOfWork
) -> None:
    service.delete(principal_of(member), member.id)
    assert users.get(member.id) is None
    assert uow.commits == 1


def test_delete_of_ones_own_account_needs_a_recent_proof_of_the_password(
    service: UserService, member: User, users: FakeUserRepository, uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    proved = clock.now
    clock.advance(DEFAULT_MAX_AGE + timedelta(seconds=1))

    with pytest.raises(ReauthenticationRequired):
        service.delete(principal_of(member, auth_time=proved), member.id)

    assert users.get(member.id) is member
    assert uow.commits == 0


def test_delete_of_ones_own_account_takes_a_proof_exactly_max_age_old(
    service: UserService, member: User, users: FakeUserRepository, clock: FakeClock
) -> None:
    proved = clock.now
    clock.advance(DEFAULT_MAX_AGE)
    service.delete(principal_of(member, auth_time=proved), member.id)
    assert users.get(member.id) is None


def test_delete_of_ones_own_account_with_a_token_that_names_no_proof_is_refused(
    service: UserService, member: User, users: FakeUserRepository
) -> None:
    with pytest.raises(ReauthenticationRequired):
        service.delete(principal_of(member, auth_time=None), member.id)
    assert users.get(member.id) is member


def test_delete_follows_the_configured_max_age(
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
    session_attempts: FakeSessionBudget,
    clock: FakeClock,
    verification: EmailVerification,
    member: User,
) -> None:
    strict = UserService(
        uow=uow,
        hasher=hasher,
        session_attempts=session_attempts,
        verification=verification,
        reauth_max_age=timedelta(seconds=30),
        clock=clock,
    )
    proved = clock.now
    clock.advance(timedelta(seconds=31))
    with pytest.raises(ReauthenticationRequired):
        strict.delete(principal_of(member, auth_time=proved), member.id)


def test_delete_lets_an_admin_remove_another_user_with_an_old_proof(
    service: UserService, admin: User, member: User, users: FakeUserRepository, clock: FakeClock
) -> None:
    proved = clock.now
    clock.advance(timedelta(days=1))
    service.delete(principal_of(admin, auth_time=proved), member.id)
    assert users.get(member.id) is None


def test_delete_lets_admin_remove_another_user(
    service: UserService, admin: User, member: User, users: FakeUserRepository
) -> None:
    service.delete(principal_of(admin), member.id)
    assert users.get(member.id) is None


def test_delete_forbids_user_removing_another_user(
    service: UserService, member: User, admin: User, users: FakeUserRepository
) -> None:
    with pytest.raises(Forbidden):
        service.delete(principal_of(member), admin.id)
    assert users.get(admin.id) is admin


def test_delete_raises_user_not_found_for_admin_and_missing_id(service: UserService, admin: User) -> None:
    with pytest.raises(UserNotFound):
        service.delete(principal_of(admin), uuid.uuid4())


def test_delete_raises_precondition_failed_for_stale_etag(
    service: UserService, member: User, users: FakeUserRepository, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(PreconditionFailed):
        service.delete(principal_of(member), member.id, expected_version=if_match('"stale"', member))
    assert users.get(member.id) is member
    assert uow.commits == 0


def test_delete_applies_when_etag_is_current(
    service: UserService, member: User, users: FakeUserRepository
) -> None:
    service.delete(principal_of(member), member.id, expected_version=if_match(tag_of(member), member))
    assert users.get(member.id) is None


def test_delete_refuses_to_remove_last_active_admin(
    service: UserService, admin: User, users: FakeUserRepository, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(LastAdmin):
        service.delete(principal_of(admin), admin.id)
    assert users.get(admin.id) is admin
    assert uow.commits == 0


def test_delete_removes_admin_when_another_active_admin_remains(
    service: UserService, admin: User, users: FakeUserRepository, hasher: FakePasswordHasher
) -> None:
    add_user(users, hasher, role="admin")
    service.delete(principal_of(admin), admin.id)
    assert users.get(admin.id) is None


def test_delete_removes_disabled_admin_without_counting_admins(
    service: UserService, admin: User, users: FakeUserRepository, hasher: FakePasswordHasher
) -> None:
    disabled = add_user(users, hasher, role="admin", is_active=False)
    service.delete(principal_of(admin), disabled.id)
    assert users.get(disabled.id) is None


def test_delete_ends_the_users_sessions(
    service: UserService, member: User, sessions: FakeSessionRepository, clock: FakeClock
) -> None:
    session = open_session(sessions, member, jti="m")
    service.delete(principal_of(member, session.id), member.id)
    assert sessions.find_active_user(user_id=member.id, session_id=session.id, now=clock.now) is None


# seed


def test_seed_creates_the_requested_number_of_users(
    service: UserService, users: FakeUserRepository, uow: FakeUnitOfWork
) -> None:
    assert service.seed(count=7, password=NEW_PASSWORD, batch_size=3) == 7
    assert len(users) == 7
    assert uow.commits == 1


def test_seed_hashes_the_password_once(service: UserService, hasher: FakePasswordHasher) -> None:
    service.seed(count=5, password=NEW_PASSWORD, batch_size=2)
    assert hasher.hashed == [NEW_PASSWORD]


def test_seed_creates_ordinary_active_users_with_unique_normalized_emails(
    service: UserService, users: FakeUserRepository, hasher: FakePasswordHasher, clock: FakeClock
) -> None:
    service.seed(count=4, password=NEW_PASSWORD)
    seeded = users.all()
    assert len({u.email_normalized for u in seeded}) == 4
    assert all(u.email_normalized == u.email.lower() for u in seeded)
    assert all(u.role == "user" and u.is_active and u.version == 1 for u in seeded)
    assert all(u.created_at == clock.now for u in seeded)
    assert all(hasher.verify(u.password_hash, NEW_PASSWORD) for u in seeded)


def test_seed_twice_does_not_collide(service: UserService, users: FakeUserRepository) -> None:
    service.seed(count=3, password=NEW_PASSWORD)
    service.seed(count=3, password=NEW_PASSWORD)
    assert len(users) == 6


def test_seed_of_zero_users_creates_none(service: UserService, users: FakeUserRepository) -> None:
    assert service.seed(count=0, password=NEW_PASSWORD) == 0
    assert len(users) == 0


def test_seed_rejects_common_password(
    service: UserService, users: FakeUserRepository, hasher: FakePasswordHasher
) -> None:
    with pytest.raises(InvalidInput):
        service.seed(count=3, password="password123")
    assert len(users) == 0
    assert hasher.hashed == []


# current_password draws on the caller's session's budget, never on the account's shared one


def test_a_wrong_current_password_spends_an_attempt_of_the_callers_session(
    service: UserService, member: User, session_attempts: FakeSessionBudget
) -> None:
    session = uuid.uuid4()
    with pytest.raises(InvalidCurrentPassword):
        service.update(
            principal_of(member, session),
            member.id,
            UserChanges(values={"password": NEW_PASSWORD}, current_password="not-it-at-all"),
        )
    assert session_attempts.spent == {(member.email_normalized, str(session)): 1}


def test_the_right_current_password_gives_its_attempt_back(
    service: UserService, member: User, session_attempts: FakeSessionBudget
) -> None:
    session = uuid.uuid4()
    service.update(
        principal_of(member, session),
        member.id,
        UserChanges(values={"password": NEW_PASSWORD}, current_password=DEFAULT_PASSWORD),
    )
    assert session_attempts.spent == {(member.email_normalized, str(session)): 0}


def test_current_password_past_the_sessions_budget_is_refused_unchecked(
    service: UserService,
    member: User,
    session_attempts: FakeSessionBudget,
    hasher: FakePasswordHasher,
    uow: FakeUnitOfWork,
) -> None:
    session = uuid.uuid4()
    session_attempts.spent[(member.email_normalized, str(session))] = session_attempts.limit
    checked = len(hasher.verified)
    with pytest.raises(TooManyAttempts):
        service.update(
            principal_of(member, session),
            member.id,
            UserChanges(values={"password": NEW_PASSWORD}, current_password=DEFAULT_PASSWORD),
        )
    assert len(hasher.verified) == checked
    assert uow.commits == 1
    assert [(e.event, e.subject_id) for e in uow.audit.events] == [("password_check_refused", member.id)]

    # Another session of the account has a budget of its own.
    service.update(
        principal_of(member),
        member.id,
        UserChanges(values={"password": NEW_PASSWORD}, current_password=DEFAULT_PASSWORD),
    )
