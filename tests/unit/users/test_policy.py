import uuid

import pytest

from app.domain.errors import Forbidden
from app.domain.principal import Principal
from app.users import policy

ALICE = uuid.uuid4()
BOB = uuid.uuid4()


def person(user_id: uuid.UUID = ALICE, role: str = "user") -> Principal:
    return Principal(user_id=user_id, role=role, session_id=uuid.uuid4())


def test_ensure_admin_allows_admin() -> None:
    policy.ensure_admin(person(role="admin"))


def test_ensure_admin_forbids_ordinary_user() -> None:
    with pytest.raises(Forbidden):
        policy.ensure_admin(person())


def test_ensure_self_or_admin_allows_self() -> None:
    policy.ensure_self_or_admin(person(ALICE), ALICE)


def test_ensure_self_or_admin_allows_admin_on_anyone() -> None:
    policy.ensure_self_or_admin(person(ALICE, role="admin"), BOB)


def test_ensure_self_or_admin_forbids_user_on_another_id() -> None:
    with pytest.raises(Forbidden):
        policy.ensure_self_or_admin(person(ALICE), BOB)


@pytest.mark.parametrize("fields", [{"role"}, {"is_active"}, {"name", "role"}, {"role", "is_active"}])
def test_ensure_may_change_forbids_user_admin_only_fields(fields: set[str]) -> None:
    with pytest.raises(Forbidden):
        policy.ensure_may_change(person(), fields)


@pytest.mark.parametrize("fields", [set(), {"name"}, {"email", "password"}])
def test_ensure_may_change_allows_user_own_fields(fields: set[str]) -> None:
    policy.ensure_may_change(person(), fields)


def test_ensure_may_change_allows_admin_every_field() -> None:
    policy.ensure_may_change(person(role="admin"), {"name", "email", "password", "role", "is_active"})


@pytest.mark.parametrize("fields", [{"email"}, {"password"}, {"name", "email"}])
def test_needs_current_password_when_changing_own_credentials(fields: set[str]) -> None:
    assert policy.needs_current_password(person(ALICE), ALICE, fields) is True


def test_needs_current_password_is_false_for_own_name() -> None:
    assert policy.needs_current_password(person(ALICE), ALICE, {"name"}) is False


def test_needs_current_password_is_false_for_admin_on_another_user() -> None:
    assert policy.needs_current_password(person(ALICE, role="admin"), BOB, {"email", "password"}) is False


def test_needs_current_password_when_admin_changes_own_credentials() -> None:
    assert policy.needs_current_password(person(ALICE, role="admin"), ALICE, {"email"}) is True


@pytest.mark.parametrize(
    ("new_role", "new_is_active"),
    [("user", None), (None, False), ("user", False), ("user", True), ("admin", False)],
)
def test_removes_an_admin_when_active_admin_is_demoted_or_disabled(
    new_role: str | None, new_is_active: bool | None
) -> None:
    assert policy.removes_an_admin(
        role="admin", is_active=True, new_role=new_role, new_is_active=new_is_active
    )


@pytest.mark.parametrize(
    ("new_role", "new_is_active"), [(None, None), ("admin", None), (None, True), ("admin", True)]
)
def test_removes_an_admin_is_false_when_active_admin_stays(
    new_role: str | None, new_is_active: bool | None
) -> None:
    assert not policy.removes_an_admin(
        role="admin", is_active=True, new_role=new_role, new_is_active=new_is_active
    )


@pytest.mark.parametrize(("role", "is_active"), [("admin", False), ("user", True), ("user", False)])
def test_removes_an_admin_is_false_when_user_was_not_an_active_admin(role: str, is_active: bool) -> None:
    assert not policy.removes_an_admin(role=role, is_active=is_active, new_role="user", new_is_active=False)


def test_deleting_ones_own_account_needs_recent_authentication() -> None:
    assert policy.needs_recent_authentication(person(ALICE), ALICE)
    assert policy.needs_recent_authentication(person(ALICE, role="admin"), ALICE)


def test_an_admin_deleting_another_account_needs_no_recent_authentication() -> None:
    assert not policy.needs_recent_authentication(person(ALICE, role="admin"), BOB)
