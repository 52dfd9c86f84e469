"""POST /api/v1/auth/refresh: rotation, reuse detection, and the cookie with its CSRF header."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.api.auth.helpers import (
    AUTH_COOKIE_PATH,
    CSRF_COOKIE,
    ME,
    REFRESH,
    REFRESH_COOKIE,
    assert_unauthorized,
    bearer,
    claims_of,
    second_session,
)
from tests.support.accounts import Account, Tokens, login


def rotate(client: FlaskClient, refresh_token: str) -> TestResponse:
    return client.post(REFRESH, headers=bearer(refresh_token))


def replay_elsewhere(client: FlaskClient, refresh_token: str) -> TestResponse:
    """The same token presented from another machine: what a thief holding a copy does."""
    return client.post(REFRESH, headers=bearer(refresh_token), environ_base={"REMOTE_ADDR": "203.0.113.66"})


def csrf_value(client: FlaskClient) -> str:
    cookie = client.get_cookie(CSRF_COOKIE)
    assert cookie is not None
    return cookie.value


def test_refresh_returns_a_new_token_pair(client: FlaskClient, user_tokens: Tokens) -> None:
    response = rotate(client, user_tokens.refresh_token)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"] != user_tokens.refresh_token
    assert body["access_token"] != user_tokens.access_token


def test_refresh_keeps_the_same_user_and_session(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    body = rotate(client, user_tokens.refresh_token).get_json()
    old, new = claims_of(user_tokens.refresh_token), claims_of(body["refresh_token"])
    assert new["sub"] == old["sub"] == str(user.id)
    assert new["sid"] == old["sid"]
    assert new["jti"] != old["jti"]


def test_refresh_new_access_token_authenticates(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    body = rotate(client, user_tokens.refresh_token).get_json()
    response = client.get(ME, headers=bearer(body["access_token"]))
    assert response.status_code == 200
    assert response.get_json()["id"] == str(user.id)


def test_refresh_new_refresh_token_rotates_again(client: FlaskClient, user_tokens: Tokens) -> None:
    second = rotate(client, user_tokens.refresh_token).get_json()["refresh_token"]
    response = rotate(client, second)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["refresh_token"] not in (second, user_tokens.refresh_token)


def test_refresh_sets_the_rotated_refresh_cookie(client: FlaskClient, user_tokens: Tokens) -> None:
    response = rotate(client, user_tokens.refresh_token)
    cookie = client.get_cookie(REFRESH_COOKIE, path=AUTH_COOKIE_PATH)
    assert cookie is not None
    assert cookie.value == response.get_json()["refresh_token"]


def test_refresh_is_401_token_reused_when_old_token_is_presented_again(
    client: FlaskClient, user_tokens: Tokens
) -> None:
    assert rotate(client, user_tokens.refresh_token).status_code == 200
    assert_unauthorized(replay_elsewhere(client, user_tokens.refresh_token), "token_reused")


def test_refresh_reuse_revokes_the_newest_refresh_token(client: FlaskClient, user_tokens: Tokens) -> None:
    newest = rotate(client, user_tokens.refresh_token).get_json()["refresh_token"]
    assert replay_elsewhere(client, user_tokens.refresh_token).status_code == 401
    assert_unauthorized(rotate(client, newest), "token_revoked")


def test_refresh_reuse_revokes_every_access_token_of_the_family(
    client: FlaskClient, user_tokens: Tokens
) -> None:
    rotated_access = rotate(client, user_tokens.refresh_token).get_json()["access_token"]
    assert client.get(ME, headers=bearer(rotated_access)).status_code == 200
    assert replay_elsewhere(client, user_tokens.refresh_token).status_code == 401
    assert_unauthorized(client.get(ME, headers=bearer(rotated_access)), "token_revoked")
    assert_unauthorized(client.get(ME, headers=user_tokens.headers), "token_revoked")


def test_refresh_reuse_leaves_other_sessions_of_the_user_alone(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    other = second_session(app, user)
    assert rotate(client, user_tokens.refresh_token).status_code == 200
    assert replay_elsewhere(client, user_tokens.refresh_token).status_code == 401
    assert client.get(ME, headers=other.headers).status_code == 200
    assert rotate(client, other.refresh_token).status_code == 200


def test_refresh_works_with_the_cookie_and_csrf_header(fresh_client: FlaskClient, user: Account) -> None:
    tokens = login(fresh_client, user)
    response = fresh_client.post(REFRESH, headers={"X-CSRF-TOKEN": csrf_value(fresh_client)})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["refresh_token"] != tokens.refresh_token


def test_refresh_by_cookie_rotates_the_session(fresh_client: FlaskClient, user: Account) -> None:
    tokens = login(fresh_client, user)
    assert fresh_client.post(REFRESH, headers={"X-CSRF-TOKEN": csrf_value(fresh_client)}).status_code == 200
    # The token the cookie carried was the login's refresh token: it is now spent.
    assert_unauthorized(replay_elsewhere(fresh_client, tokens.refresh_token), "token_reused")


def test_refresh_is_401_csrf_token_invalid_when_cookie_comes_without_csrf_header(
    fresh_client: FlaskClient, user: Account
) -> None:
    login(fresh_client, user)
    assert fresh_client.get_cookie(REFRESH_COOKIE, path=AUTH_COOKIE_PATH) is not None
    body = assert_unauthorized(fresh_client.post(REFRESH), "csrf_token_invalid")
    assert "X-CSRF-TOKEN" in body["detail"]


def test_refresh_is_401_csrf_token_invalid_when_csrf_header_is_empty(
    fresh_client: FlaskClient, user: Account
) -> None:
    login(fresh_client, user)
    assert_unauthorized(fresh_client.post(REFRESH, headers={"X-CSRF-TOKEN": ""}), "csrf_token_invalid")


def test_refresh_is_401_csrf_token_invalid_when_cookie_comes_with_a_wrong_csrf_header(
    fresh_client: FlaskClient, user: Account
) -> None:
    login(fresh_client, user)
    missing = assert_unauthorized(fresh_client.post(REFRESH), "csrf_token_invalid")
    wrong = csrf_value(fresh_client)[::-1] + "x"
    body = assert_unauthorized(
        fresh_client.post(REFRESH, headers={"X-CSRF-TOKEN": wrong}), "csrf_token_invalid"
    )
    assert body["detail"] != missing["detail"]
    assert "does not match" in body["detail"]


def test_refresh_failed_csrf_check_does_not_spend_the_token(fresh_client: FlaskClient, user: Account) -> None:
    tokens = login(fresh_client, user)
    assert fresh_client.post(REFRESH, headers={"X-CSRF-TOKEN": "forged"}).status_code == 401
    assert rotate(fresh_client, tokens.refresh_token).status_code == 200


def test_refresh_is_401_when_csrf_header_comes_without_cookie(
    fresh_client: FlaskClient, client: FlaskClient, user: Account
) -> None:
    login(client, user)
    assert_unauthorized(
        fresh_client.post(REFRESH, headers={"X-CSRF-TOKEN": csrf_value(client)}), "unauthorized"
    )


def test_refresh_is_401_when_given_an_access_token(fresh_client: FlaskClient, user: Account) -> None:
    tokens = login(fresh_client, user)
    assert_unauthorized(rotate(fresh_client, tokens.access_token), "unauthorized")


def test_refresh_access_token_attempt_does_not_spend_the_refresh_token(
    fresh_client: FlaskClient, user: Account
) -> None:
    tokens = login(fresh_client, user)
    assert rotate(fresh_client, tokens.access_token).status_code == 401
    assert rotate(fresh_client, tokens.refresh_token).status_code == 200


def test_refresh_is_401_without_any_token(fresh_client: FlaskClient) -> None:
    assert_unauthorized(fresh_client.post(REFRESH), "unauthorized")


def test_refresh_is_401_with_a_garbage_bearer(fresh_client: FlaskClient) -> None:
    assert_unauthorized(
        fresh_client.post(REFRESH, headers={"Authorization": "Bearer not.a.jwt"}), "unauthorized"
    )
