"""POST /api/v1/auth/logout: the current session ends at once, other sessions carry on."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.api.auth.helpers import (
    AUTH_COOKIE_PATH,
    CSRF_COOKIE,
    LOGOUT,
    ME,
    REFRESH,
    REFRESH_COOKIE,
    assert_unauthorized,
    bearer,
    second_session,
)
from tests.support.accounts import Account, Tokens, login


def test_logout_returns_204_with_no_body(client: FlaskClient, user_tokens: Tokens) -> None:
    response = client.post(LOGOUT, headers=user_tokens.headers)
    assert response.status_code == 204
    assert response.get_data() == b""


def test_logout_revokes_the_access_token_at_once(client: FlaskClient, user_tokens: Tokens) -> None:
    assert client.get(ME, headers=user_tokens.headers).status_code == 200
    assert client.post(LOGOUT, headers=user_tokens.headers).status_code == 204
    assert_unauthorized(client.get(ME, headers=user_tokens.headers), "token_revoked")


def test_logout_revokes_the_sessions_refresh_token(client: FlaskClient, user_tokens: Tokens) -> None:
    assert client.post(LOGOUT, headers=user_tokens.headers).status_code == 204
    assert_unauthorized(client.post(REFRESH, headers=user_tokens.refresh_headers), "token_revoked")


def test_logout_revokes_access_tokens_issued_by_rotation_in_the_same_session(
    client: FlaskClient, user_tokens: Tokens
) -> None:
    rotated = client.post(REFRESH, headers=user_tokens.refresh_headers).get_json()
    assert client.post(LOGOUT, headers=bearer(rotated["access_token"])).status_code == 204
    assert_unauthorized(client.get(ME, headers=user_tokens.headers), "token_revoked")
    assert_unauthorized(client.post(REFRESH, headers=bearer(rotated["refresh_token"])), "token_revoked")


def test_logout_twice_with_the_same_token_is_401(client: FlaskClient, user_tokens: Tokens) -> None:
    assert client.post(LOGOUT, headers=user_tokens.headers).status_code == 204
    assert_unauthorized(client.post(LOGOUT, headers=user_tokens.headers), "token_revoked")


def test_logout_leaves_another_session_of_the_same_user_working(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    other = second_session(app, user)
    assert client.post(LOGOUT, headers=user_tokens.headers).status_code == 204
    assert client.get(ME, headers=other.headers).status_code == 200
    assert client.post(REFRESH, headers=other.refresh_headers).status_code == 200


def test_logout_leaves_other_users_alone(
    client: FlaskClient, user_tokens: Tokens, admin_tokens: Tokens
) -> None:
    assert client.post(LOGOUT, headers=user_tokens.headers).status_code == 204
    assert client.get(ME, headers=admin_tokens.headers).status_code == 200


def test_logout_is_401_when_given_a_refresh_token(client: FlaskClient, user_tokens: Tokens) -> None:
    assert_unauthorized(client.post(LOGOUT, headers=user_tokens.refresh_headers), "unauthorized")


def test_logout_refresh_token_attempt_ends_nothing(client: FlaskClient, user_tokens: Tokens) -> None:
    assert client.post(LOGOUT, headers=user_tokens.refresh_headers).status_code == 401
    assert client.get(ME, headers=user_tokens.headers).status_code == 200


def test_logout_is_401_without_a_token(fresh_client: FlaskClient) -> None:
    assert_unauthorized(fresh_client.post(LOGOUT), "unauthorized")


def test_logout_ignores_the_refresh_cookie_as_credentials(fresh_client: FlaskClient, user: Account) -> None:
    login(fresh_client, user)
    csrf = fresh_client.get_cookie(CSRF_COOKIE)
    assert csrf is not None
    assert_unauthorized(fresh_client.post(LOGOUT, headers={"X-CSRF-TOKEN": csrf.value}), "unauthorized")


def test_logout_clears_the_refresh_cookies(fresh_client: FlaskClient, user: Account) -> None:
    tokens = login(fresh_client, user)
    assert fresh_client.get_cookie(REFRESH_COOKIE, path=AUTH_COOKIE_PATH) is not None
    assert fresh_client.post(LOGOUT, headers=tokens.headers).status_code == 204
    assert fresh_client.get_cookie(REFRESH_COOKIE, path=AUTH_COOKIE_PATH) is None
    assert fresh_client.get_cookie(CSRF_COOKIE) is None
