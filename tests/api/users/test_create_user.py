"""POST /api/v1/users: admins create accounts of any role."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.users.helpers import USERS, assert_problem, user_url
from tests.support.accounts import DEFAULT_PASSWORD, Account, Tokens, unique_email


def new_user(**overrides: Any) -> dict[str, Any]:
    return {"email": unique_email("new"), "password": DEFAULT_PASSWORD, "name": "New User", **overrides}


def test_create_user_returns_201_with_location_and_etag(client: FlaskClient, admin_tokens: Tokens) -> None:
    payload = new_user()

    response = client.post(USERS, json=payload, headers=admin_tokens.headers)

    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == payload["email"]
    assert body["role"] == "user"
    assert "password" not in body
    assert response.headers["Location"].endswith(user_url(body["id"]))
    assert response.headers["ETag"].startswith('"')


def test_create_user_location_and_etag_match_the_stored_user(
    client: FlaskClient, admin_tokens: Tokens
) -> None:
    created = client.post(USERS, json=new_user(), headers=admin_tokens.headers)

    fetched = client.get(created.headers["Location"], headers=admin_tokens.headers)

    assert fetched.status_code == 200
    assert fetched.get_json() == created.get_json()
    assert fetched.headers["ETag"] == created.headers["ETag"]


def test_create_user_creates_an_admin_when_role_is_admin(client: FlaskClient, admin_tokens: Tokens) -> None:
    response = client.post(USERS, json=new_user(role="admin"), headers=admin_tokens.headers)

    assert response.status_code == 201
    assert response.get_json()["role"] == "admin"


def test_create_user_gives_an_account_that_can_log_in(client: FlaskClient, admin_tokens: Tokens) -> None:
    payload = new_user()
    client.post(USERS, json=payload, headers=admin_tokens.headers)

    response = client.post(
        "/api/v1/auth/login", json={"email": payload["email"], "password": payload["password"]}
    )

    assert response.status_code == 200


def test_create_user_is_403_for_non_admin(client: FlaskClient, user_tokens: Tokens) -> None:
    payload = new_user()

    response = client.post(USERS, json=payload, headers=user_tokens.headers)

    assert_problem(response, 403, "forbidden")
    login = client.post("/api/v1/auth/login", json={"email": payload["email"], "password": DEFAULT_PASSWORD})
    assert_problem(login, 401, "invalid_credentials")


def test_create_user_is_401_without_token(client: FlaskClient) -> None:
    assert_problem(client.post(USERS, json=new_user()), 401, "unauthorized")


def test_create_user_is_409_when_email_is_taken_case_insensitively(
    client: FlaskClient, user: Account, admin_tokens: Tokens
) -> None:
    response = client.post(
        USERS, json=new_user(email=f"  {user.email.upper()} "), headers=admin_tokens.headers
    )

    assert_problem(response, 409, "email_taken")


def test_create_user_is_422_when_role_is_unknown(client: FlaskClient, admin_tokens: Tokens) -> None:
    response = client.post(USERS, json=new_user(role="root"), headers=admin_tokens.headers)

    body = assert_problem(response, 422, "validation_error")
    assert "role" in body["errors"]["json"]


def test_create_user_is_422_when_password_is_common(client: FlaskClient, admin_tokens: Tokens) -> None:
    response = client.post(USERS, json=new_user(password="password123"), headers=admin_tokens.headers)

    body = assert_problem(response, 422, "validation_error")
    assert "password" in body["errors"]["json"]


def test_create_user_is_422_when_body_has_an_unknown_field(client: FlaskClient, admin_tokens: Tokens) -> None:
    response = client.post(USERS, json=new_user(is_superuser=True), headers=admin_tokens.headers)

    body = assert_problem(response, 422, "validation_error")
    assert "is_superuser" in body["errors"]["json"]


@pytest.mark.parametrize("missing", ["email", "password", "name"])
def test_create_user_is_422_when_a_required_field_is_missing(
    client: FlaskClient, admin_tokens: Tokens, missing: str
) -> None:
    payload = new_user()
    del payload[missing]

    response = client.post(USERS, json=payload, headers=admin_tokens.headers)

    body = assert_problem(response, 422, "validation_error")
    assert missing in body["errors"]["json"]
