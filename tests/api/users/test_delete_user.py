"""DELETE /api/v1/users/{id}: self or admin; tokens die with the user; If-Match; last admin."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient

from tests.api.users.helpers import assert_problem, read_user, user_url
from tests.support.accounts import Account, Tokens, create_account, login
from tests.support.resources import etag_of

ME = "/api/v1/users/me"


def test_delete_user_removes_self(
    client: FlaskClient, user: Account, user_tokens: Tokens, admin_tokens: Tokens
) -> None:
    response = client.delete(user_url(user.id), headers=user_tokens.headers)

    assert response.status_code == 204
    assert response.get_data() == b""
    assert_problem(client.get(user_url(user.id), headers=admin_tokens.headers), 404, "not_found")


def test_delete_user_revokes_the_deleted_users_access_token(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    client.delete(user_url(user.id), headers=user_tokens.headers)

    response = client.get(ME, headers=user_tokens.headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_delete_user_revokes_the_deleted_users_refresh_token(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    client.delete(user_url(user.id), headers=user_tokens.headers)

    response = client.post("/api/v1/auth/refresh", headers=user_tokens.refresh_headers)

    assert response.status_code == 401


def test_delete_user_lets_an_admin_delete_another_user(
    client: FlaskClient, user: Account, user_tokens: Tokens, admin_tokens: Tokens
) -> None:
    response = client.delete(user_url(user.id), headers=admin_tokens.headers)

    assert response.status_code == 204
    assert client.get(ME, headers=user_tokens.headers).status_code == 401


def test_delete_user_is_403_for_non_admin_on_another_user(
    app: Flask, client: FlaskClient, user_tokens: Tokens, admin_tokens: Tokens
) -> None:
    other = create_account(app)

    response = client.delete(user_url(other.id), headers=user_tokens.headers)

    assert_problem(response, 403, "forbidden")
    assert read_user(client, other.id, admin_tokens)["email"] == other.email


def test_delete_user_is_403_for_non_admin_on_a_missing_user(client: FlaskClient, user_tokens: Tokens) -> None:
    assert_problem(client.delete(user_url(uuid.uuid4()), headers=user_tokens.headers), 403, "forbidden")


def test_delete_user_is_404_for_admin_on_a_missing_user(client: FlaskClient, admin_tokens: Tokens) -> None:
    assert_problem(client.delete(user_url(uuid.uuid4()), headers=admin_tokens.headers), 404, "not_found")


def test_delete_user_is_412_when_if_match_is_stale(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    stale = etag_of(client, user_url(user.id), user_tokens)
    client.patch(user_url(user.id), json={"name": "Changed Meanwhile"}, headers=user_tokens.headers)

    response = client.delete(user_url(user.id), headers={**user_tokens.headers, "If-Match": stale})

    assert_problem(response, 412, "precondition_failed")
    assert read_user(client, user.id, user_tokens)["name"] == "Changed Meanwhile"


def test_delete_user_applies_when_if_match_is_current(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    current = etag_of(client, user_url(user.id), user_tokens)

    response = client.delete(user_url(user.id), headers={**user_tokens.headers, "If-Match": current})

    assert response.status_code == 204


def test_delete_user_is_409_when_the_last_active_admin_deletes_themselves(
    client: FlaskClient, admin: Account, admin_tokens: Tokens
) -> None:
    response = client.delete(user_url(admin.id), headers=admin_tokens.headers)

    assert_problem(response, 409, "last_admin")
    assert read_user(client, admin.id, admin_tokens)["role"] == "admin"


def test_delete_user_lets_an_admin_leave_when_another_active_admin_remains(
    app: Flask, client: FlaskClient, admin: Account, admin_tokens: Tokens
) -> None:
    other_admin = create_account(app, role="admin")

    response = client.delete(user_url(admin.id), headers=admin_tokens.headers)

    assert response.status_code == 204
    assert client.get(user_url(admin.id), headers=login(client, other_admin).headers).status_code == 404
