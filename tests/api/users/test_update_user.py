"""PATCH /api/v1/users/{id}: self or admin; credentials need current_password; If-Match; last admin."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.api.users.helpers import assert_problem, read_user, user_url
from tests.support.accounts import Account, Tokens, create_account, login, unique_email
from tests.support.resources import etag_of

NEW_PASSWORD = "Amber-Orchard-Compass-77"
LOGIN = "/api/v1/auth/login"


def patch(client: FlaskClient, user_id: uuid.UUID, tokens: Tokens, body: Any, **headers: str) -> TestResponse:
    return client.patch(user_url(user_id), json=body, headers={**tokens.headers, **headers})


def can_log_in(client: FlaskClient, email: str, password: str) -> bool:
    response = client.post(LOGIN, json={"email": email, "password": password})
    assert response.status_code in (200, 401), response.get_json()
    return response.status_code == 200


def test_update_user_changes_own_name(client: FlaskClient, user: Account, user_tokens: Tokens) -> None:
    response = patch(client, user.id, user_tokens, {"name": "  New Name  "})

    assert response.status_code == 200
    assert response.get_json()["name"] == "New Name"
    assert read_user(client, user.id, user_tokens)["name"] == "New Name"


def test_update_user_returns_a_new_etag_matching_the_stored_user(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    before = etag_of(client, user_url(user.id), user_tokens)

    response = patch(client, user.id, user_tokens, {"name": "Another Name"})

    assert response.headers["ETag"] != before
    assert response.headers["ETag"] == etag_of(client, user_url(user.id), user_tokens)


def test_update_user_moves_updated_at_forward(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    before = read_user(client, user.id, user_tokens)

    after = patch(client, user.id, user_tokens, {"name": "Later Name"}).get_json()

    assert datetime.fromisoformat(after["updated_at"]) > datetime.fromisoformat(before["updated_at"])
    assert after["created_at"] == before["created_at"]


@pytest.mark.parametrize(
    "change", [{"email": "someone-else@example.com"}, {"password": NEW_PASSWORD}], ids=["email", "password"]
)
def test_update_user_is_422_when_own_credential_change_lacks_current_password(
    client: FlaskClient, user: Account, user_tokens: Tokens, change: dict[str, str]
) -> None:
    response = patch(client, user.id, user_tokens, change)

    body = assert_problem(response, 422, "validation_error")
    assert "current_password" in body["errors"]["json"]


@pytest.mark.parametrize(
    "change", [{"email": "someone-else@example.com"}, {"password": NEW_PASSWORD}], ids=["email", "password"]
)
def test_update_user_is_403_when_current_password_is_wrong(
    client: FlaskClient, user: Account, user_tokens: Tokens, change: dict[str, str]
) -> None:
    response = patch(client, user.id, user_tokens, {**change, "current_password": "Wrong-Password-123"})

    assert_problem(response, 403, "invalid_current_password")
    assert read_user(client, user.id, user_tokens)["email"] == user.email
    assert can_log_in(client, user.email, user.password)


def test_update_user_changes_own_email_with_current_password(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    new_email = unique_email("moved")

    response = patch(client, user.id, user_tokens, {"email": new_email, "current_password": user.password})

    assert response.status_code == 200
    assert response.get_json()["email"] == new_email
    assert can_log_in(client, new_email, user.password)


def test_update_user_changes_own_password_with_current_password(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    response = patch(
        client, user.id, user_tokens, {"password": NEW_PASSWORD, "current_password": user.password}
    )

    assert response.status_code == 200
    assert "password" not in response.get_json()
    assert can_log_in(client, user.email, NEW_PASSWORD)


def test_update_user_rejects_the_old_password_after_a_password_change(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    patch(client, user.id, user_tokens, {"password": NEW_PASSWORD, "current_password": user.password})

    assert not can_log_in(client, user.email, user.password)


def test_update_user_keeps_only_the_current_session_after_own_password_change(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    other_session = login(client, user)

    patch(client, user.id, user_tokens, {"password": NEW_PASSWORD, "current_password": user.password})

    assert client.get("/api/v1/users/me", headers=user_tokens.headers).status_code == 200
    assert client.get("/api/v1/users/me", headers=other_session.headers).status_code == 401


def test_update_user_is_422_when_new_password_is_common(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    response = patch(
        client, user.id, user_tokens, {"password": "password123", "current_password": user.password}
    )

    body = assert_problem(response, 422, "validation_error")
    assert "password" in body["errors"]["json"]
    assert can_log_in(client, user.email, user.password)


def test_update_user_lets_an_admin_change_another_users_email_without_current_password(
    client: FlaskClient, user: Account, admin_tokens: Tokens
) -> None:
    new_email = unique_email("admin-set")

    response = patch(client, user.id, admin_tokens, {"email": new_email})

    assert response.status_code == 200
    assert response.get_json()["email"] == new_email


def test_update_user_lets_an_admin_promote_a_user(
    client: FlaskClient, user: Account, admin_tokens: Tokens
) -> None:
    response = patch(client, user.id, admin_tokens, {"role": "admin"})

    assert response.status_code == 200
    assert response.get_json()["role"] == "admin"


def test_update_user_cuts_off_a_user_an_admin_disables(
    client: FlaskClient, user: Account, user_tokens: Tokens, admin_tokens: Tokens
) -> None:
    response = patch(client, user.id, admin_tokens, {"is_active": False})

    assert response.status_code == 200
    assert response.get_json()["is_active"] is False
    assert client.get("/api/v1/users/me", headers=user_tokens.headers).status_code == 401


@pytest.mark.parametrize(
    "change", [{"role": "admin"}, {"role": "user"}, {"is_active": False}, {"is_active": True}]
)
def test_update_user_is_403_when_non_admin_sends_an_admin_only_field(
    client: FlaskClient, user: Account, user_tokens: Tokens, change: dict[str, Any]
) -> None:
    before = read_user(client, user.id, user_tokens)

    response = patch(client, user.id, user_tokens, {**change, "name": "Sneaky"})

    assert_problem(response, 403, "forbidden")
    assert read_user(client, user.id, user_tokens) == before


def test_update_user_is_403_for_non_admin_on_another_user(
    app: Flask, client: FlaskClient, user_tokens: Tokens, admin_tokens: Tokens
) -> None:
    other = create_account(app)
    before = read_user(client, other.id, admin_tokens)

    response = patch(client, other.id, user_tokens, {"name": "Hijacked"})

    assert_problem(response, 403, "forbidden")
    assert read_user(client, other.id, admin_tokens) == before


def test_update_user_is_403_for_non_admin_on_a_missing_user(client: FlaskClient, user_tokens: Tokens) -> None:
    response = patch(client, uuid.uuid4(), user_tokens, {"name": "Ghost"})

    assert_problem(response, 403, "forbidden")


def test_update_user_is_404_for_admin_on_a_missing_user(client: FlaskClient, admin_tokens: Tokens) -> None:
    response = patch(client, uuid.uuid4(), admin_tokens, {"name": "Ghost"})

    assert_problem(response, 404, "not_found")


def test_update_user_is_412_when_if_match_is_stale(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    stale = etag_of(client, user_url(user.id), user_tokens)
    patch(client, user.id, user_tokens, {"name": "First Writer"})

    response = patch(client, user.id, user_tokens, {"name": "Second Writer"}, **{"If-Match": stale})

    assert_problem(response, 412, "precondition_failed")
    assert read_user(client, user.id, user_tokens)["name"] == "First Writer"


def test_update_user_is_412_when_if_match_is_weak(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    # If-Match compares strongly (RFC 9110), so a weak tag never matches.
    current = etag_of(client, user_url(user.id), user_tokens)

    response = patch(client, user.id, user_tokens, {"name": "Weakly"}, **{"If-Match": f"W/{current}"})

    assert_problem(response, 412, "precondition_failed")


def test_update_user_applies_when_if_match_is_current(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    current = etag_of(client, user_url(user.id), user_tokens)

    response = patch(client, user.id, user_tokens, {"name": "Careful Writer"}, **{"If-Match": current})

    assert response.status_code == 200
    assert response.get_json()["name"] == "Careful Writer"


def test_update_user_is_409_when_own_new_email_is_taken(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    other = create_account(app)

    response = patch(
        client, user.id, user_tokens, {"email": other.email.upper(), "current_password": user.password}
    )

    assert_problem(response, 409, "email_taken")
    assert read_user(client, user.id, user_tokens)["email"] == user.email


def test_update_user_is_409_when_admin_sets_a_taken_email(
    client: FlaskClient, user: Account, admin: Account, admin_tokens: Tokens
) -> None:
    response = patch(client, user.id, admin_tokens, {"email": admin.email})

    assert_problem(response, 409, "email_taken")


@pytest.mark.parametrize("change", [{"role": "user"}, {"is_active": False}], ids=["demote", "disable"])
def test_update_user_is_409_when_the_last_active_admin_removes_themselves(
    client: FlaskClient, admin: Account, admin_tokens: Tokens, change: dict[str, Any]
) -> None:
    response = patch(client, admin.id, admin_tokens, change)

    assert_problem(response, 409, "last_admin")
    me = read_user(client, admin.id, admin_tokens)
    assert (me["role"], me["is_active"]) == ("admin", True)


@pytest.mark.parametrize("change", [{"role": "user"}, {"is_active": False}], ids=["demote", "disable"])
def test_update_user_lets_an_admin_step_down_when_another_active_admin_remains(
    app: Flask, client: FlaskClient, admin: Account, admin_tokens: Tokens, change: dict[str, Any]
) -> None:
    create_account(app, role="admin")

    response = patch(client, admin.id, admin_tokens, change)

    assert response.status_code == 200
    assert {k: response.get_json()[k] for k in change} == change


def test_update_user_is_409_when_the_only_other_admin_is_disabled(
    app: Flask, client: FlaskClient, admin: Account, admin_tokens: Tokens
) -> None:
    other_admin = create_account(app, role="admin")
    assert patch(client, other_admin.id, admin_tokens, {"is_active": False}).status_code == 200

    response = patch(client, admin.id, admin_tokens, {"role": "user"})

    assert_problem(response, 409, "last_admin")


@pytest.mark.parametrize("body", [{}, {"current_password": "anything-at-all"}], ids=["empty", "only-current"])
def test_update_user_is_422_when_nothing_would_change(
    client: FlaskClient, user: Account, user_tokens: Tokens, body: dict[str, Any]
) -> None:
    response = patch(client, user.id, user_tokens, body)

    assert_problem(response, 422, "validation_error")


@pytest.mark.parametrize(
    ("field", "value"),
    [("is_active", 1), ("is_active", "true"), ("name", 5), ("name", None), ("role", 1), ("email", 5)],
)
def test_update_user_is_422_when_a_field_has_the_wrong_type(
    client: FlaskClient, user: Account, admin_tokens: Tokens, field: str, value: Any
) -> None:
    response = patch(client, user.id, admin_tokens, {field: value})

    body = assert_problem(response, 422, "validation_error")
    assert field in body["errors"]["json"]


@pytest.mark.parametrize("name", ["Bell\x07", "Two\nLines", "Tab\there", "Evil\u202eName", "Nul\x00"])
def test_update_user_is_422_when_name_has_control_characters(
    client: FlaskClient, user: Account, user_tokens: Tokens, name: str
) -> None:
    response = patch(client, user.id, user_tokens, {"name": name})

    body = assert_problem(response, 422, "validation_error")
    assert "name" in body["errors"]["json"]


@pytest.mark.parametrize("name", ["x" * 101, "", "   "], ids=["too-long", "empty", "blank"])
def test_update_user_is_422_when_name_length_is_out_of_bounds(
    client: FlaskClient, user: Account, user_tokens: Tokens, name: str
) -> None:
    response = patch(client, user.id, user_tokens, {"name": name})

    body = assert_problem(response, 422, "validation_error")
    assert "name" in body["errors"]["json"]


def test_update_user_accepts_a_name_of_exactly_100_characters(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    response = patch(client, user.id, user_tokens, {"name": "x" * 100})

    assert response.status_code == 200


def test_update_user_is_422_when_body_has_an_unknown_field(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    response = patch(client, user.id, user_tokens, {"name": "Fine", "nickname": "nope"})

    body = assert_problem(response, 422, "validation_error")
    assert "nickname" in body["errors"]["json"]
