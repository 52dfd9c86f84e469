"""Access tokens at the guard: forged, expired, incomplete or misused tokens get 401, never more."""

from __future__ import annotations

import uuid
import warnings

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jwt.warnings import InsecureKeyLengthWarning

from tests.api.auth.helpers import (
    FOREIGN_KEY,
    LOGOUT,
    ME,
    REFRESH,
    USERS,
    assert_problem,
    assert_unauthorized,
    bearer,
    now,
    resign,
    second_session,
    unsigned,
    user_url,
)
from tests.support.accounts import Account, Tokens, login

NEW_PASSWORD = "Copper-Kettle-Orchard-58"


def test_tokens_resigned_copy_of_a_real_token_is_accepted(
    app: Flask, client: FlaskClient, user_tokens: Tokens
) -> None:
    # The baseline for the crafted-token tests below: re-signing alone changes nothing.
    response = client.get(ME, headers=bearer(resign(app, user_tokens.access_token)))
    assert response.status_code == 200, response.get_json()


def test_tokens_forged_signature_is_401(app: Flask, client: FlaskClient, user_tokens: Tokens) -> None:
    forged = resign(app, user_tokens.access_token, key=FOREIGN_KEY)
    assert_unauthorized(client.get(ME, headers=bearer(forged)), "unauthorized")


def test_tokens_tampered_payload_with_original_signature_is_401(
    app: Flask, client: FlaskClient, user_tokens: Tokens, admin: Account
) -> None:
    header, _payload, signature = user_tokens.access_token.split(".")
    _header, payload, _signature = resign(app, user_tokens.access_token, sub=str(admin.id)).split(".")
    tampered = f"{header}.{payload}.{signature}"
    assert_unauthorized(client.get(ME, headers=bearer(tampered)), "unauthorized")


def test_tokens_expired_access_token_is_401_token_expired(
    app: Flask, client: FlaskClient, user_tokens: Tokens
) -> None:
    expired = resign(app, user_tokens.access_token, iat=now() - 1000, exp=now() - 60)
    assert_unauthorized(client.get(ME, headers=bearer(expired)), "token_expired")


def test_tokens_expired_refresh_token_is_401_token_expired(
    app: Flask, fresh_client: FlaskClient, user_tokens: Tokens
) -> None:
    expired = resign(app, user_tokens.refresh_token, iat=now() - 1000, exp=now() - 60)
    assert_unauthorized(fresh_client.post(REFRESH, headers=bearer(expired)), "token_expired")


def test_tokens_alg_none_is_401(client: FlaskClient, user_tokens: Tokens) -> None:
    assert_unauthorized(client.get(ME, headers=bearer(unsigned(user_tokens.access_token))), "unauthorized")


def test_tokens_alg_none_with_trailing_dot_and_admin_role_is_401(
    client: FlaskClient, admin_tokens: Tokens
) -> None:
    token = unsigned(admin_tokens.access_token).rstrip(".") + "."
    assert_unauthorized(client.get(USERS, headers=bearer(token)), "unauthorized")


def test_tokens_other_hmac_algorithm_is_401(app: Flask, client: FlaskClient, user_tokens: Tokens) -> None:
    with warnings.catch_warnings():
        # PyJWT would rather have a longer key for HS512; the server must refuse the algorithm anyway.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        token = resign(app, user_tokens.access_token, algorithm="HS512")
    assert_unauthorized(client.get(ME, headers=bearer(token)), "unauthorized")


@pytest.mark.parametrize("claim", ["sub", "sid", "jti", "type", "exp", "iat"])
def test_tokens_correctly_signed_access_token_missing_a_claim_is_401(
    app: Flask, client: FlaskClient, user_tokens: Tokens, claim: str
) -> None:
    token = resign(app, user_tokens.access_token, drop=[claim])
    assert_unauthorized(client.get(ME, headers=bearer(token)), "unauthorized")


@pytest.mark.parametrize("claim", ["sub", "sid", "jti", "type", "exp", "iat"])
def test_tokens_correctly_signed_refresh_token_missing_a_claim_is_401(
    app: Flask, fresh_client: FlaskClient, user_tokens: Tokens, claim: str
) -> None:
    token = resign(app, user_tokens.refresh_token, drop=[claim])
    assert_unauthorized(fresh_client.post(REFRESH, headers=bearer(token)), "unauthorized")


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("sub", "not-a-uuid"),
        ("sub", ""),
        ("sub", 12345),
        ("sid", "not-a-uuid"),
        ("sid", ""),
        ("sid", 12345),
        ("sid", None),
        ("jti", 12345),
        ("type", "admin"),
        # Optional (tokens issued before them lack them), but never of another type.
        ("auth_time", "1700000000"),
        ("auth_time", 1700000000.5),
        ("auth_time", True),
        ("auth_time", None),
        ("auth_time", -1),
        ("amr", "pwd"),
        ("amr", None),
        ("amr", [1]),
        ("amr", [""]),
        ("amr", {"pwd": True}),
    ],
)
def test_tokens_correctly_signed_access_token_with_malformed_claim_is_401(
    app: Flask, client: FlaskClient, user_tokens: Tokens, claim: str, value: object
) -> None:
    token = resign(app, user_tokens.access_token, **{claim: value})
    assert_unauthorized(client.get(ME, headers=bearer(token)), "unauthorized")


def test_tokens_correctly_signed_access_token_for_an_unknown_session_is_401(
    app: Flask, client: FlaskClient, user_tokens: Tokens
) -> None:
    token = resign(app, user_tokens.access_token, sid=str(uuid.uuid4()))
    assert_unauthorized(client.get(ME, headers=bearer(token)), "token_revoked")


def test_tokens_correctly_signed_access_token_naming_another_users_session_is_401(
    app: Flask, client: FlaskClient, user_tokens: Tokens, admin: Account
) -> None:
    # The user's session id under the admin's identity: a session proves only its own user.
    token = resign(app, user_tokens.access_token, sub=str(admin.id))
    assert_unauthorized(client.get(USERS, headers=bearer(token)), "token_revoked")


def test_tokens_role_claim_grants_nothing(app: Flask, client: FlaskClient, user_tokens: Tokens) -> None:
    token = resign(app, user_tokens.access_token, role="admin", is_admin=True, roles=["admin"])
    assert client.get(ME, headers=bearer(token)).status_code == 200
    assert_problem(client.get(USERS, headers=bearer(token)), 403, "forbidden")


def test_tokens_refresh_token_used_as_access_token_is_401(client: FlaskClient, user_tokens: Tokens) -> None:
    assert_unauthorized(client.get(ME, headers=user_tokens.refresh_headers), "unauthorized")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer x",
        "Bearer ",
        "Bearer",
        "Bearer a.b.c",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "",
        "bearer",
    ],
)
def test_tokens_malformed_authorization_header_is_401(fresh_client: FlaskClient, authorization: str) -> None:
    assert_unauthorized(fresh_client.get(ME, headers={"Authorization": authorization}), "unauthorized")


def test_tokens_missing_authorization_header_is_401_unauthorized(fresh_client: FlaskClient) -> None:
    assert_unauthorized(fresh_client.get(ME), "unauthorized")


def test_tokens_access_token_in_a_cookie_is_not_accepted(
    fresh_client: FlaskClient, user_tokens: Tokens
) -> None:
    fresh_client.set_cookie("access_token_cookie", user_tokens.access_token)
    assert_unauthorized(fresh_client.get(ME), "unauthorized")


@pytest.mark.parametrize(("method", "path"), [("get", ME), ("get", USERS), ("post", LOGOUT)])
def test_tokens_every_guarded_route_answers_401_problem_never_msg_or_422(
    app: Flask, fresh_client: FlaskClient, user_tokens: Tokens, method: str, path: str
) -> None:
    attempts = [
        {},
        {"Authorization": "Bearer x"},
        bearer(resign(app, user_tokens.access_token, key=FOREIGN_KEY)),
        bearer(resign(app, user_tokens.access_token, drop=["sid"])),
        user_tokens.refresh_headers,
    ]
    for headers in attempts:
        response = getattr(fresh_client, method)(path, headers=headers)
        assert_unauthorized(response, "unauthorized")


def test_tokens_of_a_disabled_user_are_401_at_once(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens, admin_tokens: Tokens
) -> None:
    assert client.get(ME, headers=user_tokens.headers).status_code == 200
    response = client.patch(user_url(user.id), json={"is_active": False}, headers=admin_tokens.headers)
    assert response.status_code == 200, response.get_json()
    assert_unauthorized(client.get(ME, headers=user_tokens.headers), "token_revoked")
    assert_unauthorized(client.post(REFRESH, headers=user_tokens.refresh_headers), "token_revoked")


def test_tokens_of_a_re_enabled_user_stay_revoked(
    client: FlaskClient, user: Account, user_tokens: Tokens, admin_tokens: Tokens
) -> None:
    for active in (False, True):
        response = client.patch(user_url(user.id), json={"is_active": active}, headers=admin_tokens.headers)
        assert response.status_code == 200, response.get_json()
    assert_unauthorized(client.get(ME, headers=user_tokens.headers), "token_revoked")
    assert login(client, user).access_token


def test_tokens_of_a_user_deleted_by_an_admin_are_401_at_once(
    client: FlaskClient, user: Account, user_tokens: Tokens, admin_tokens: Tokens
) -> None:
    assert client.delete(user_url(user.id), headers=admin_tokens.headers).status_code == 204
    assert_unauthorized(client.get(ME, headers=user_tokens.headers), "token_revoked")
    assert_unauthorized(client.post(REFRESH, headers=user_tokens.refresh_headers), "token_revoked")


def test_tokens_of_a_user_who_deleted_themself_are_401_at_once(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    other = second_session(app, user)
    assert client.delete(user_url(user.id), headers=user_tokens.headers).status_code == 204
    assert_unauthorized(client.get(ME, headers=user_tokens.headers), "token_revoked")
    assert_unauthorized(client.get(ME, headers=other.headers), "token_revoked")


def change_password(client: FlaskClient, user: Account, tokens: Tokens) -> None:
    body = {"password": NEW_PASSWORD, "current_password": user.password}
    response = client.patch(user_url(user.id), json=body, headers=tokens.headers)
    assert response.status_code == 200, response.get_json()


def test_tokens_password_change_revokes_other_sessions_access_tokens(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    other = second_session(app, user)
    change_password(client, user, user_tokens)
    assert_unauthorized(client.get(ME, headers=other.headers), "token_revoked")


def test_tokens_password_change_revokes_other_sessions_refresh_tokens(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    other = second_session(app, user)
    change_password(client, user, user_tokens)
    assert_unauthorized(client.post(REFRESH, headers=other.refresh_headers), "token_revoked")


def test_tokens_password_change_keeps_the_current_session_working(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    change_password(client, user, user_tokens)
    assert client.get(ME, headers=user_tokens.headers).status_code == 200
    assert client.post(REFRESH, headers=user_tokens.refresh_headers).status_code == 200


def test_tokens_password_change_is_403_and_revokes_nothing_when_current_password_is_wrong(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    other = second_session(app, user)
    body = {"password": NEW_PASSWORD, "current_password": "Not-The-Password-99"}
    response = client.patch(user_url(user.id), json=body, headers=user_tokens.headers)
    assert_problem(response, 403, "invalid_current_password")
    assert client.get(ME, headers=other.headers).status_code == 200


def test_tokens_password_change_lets_the_new_password_log_in(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    change_password(client, user, user_tokens)
    renamed = Account(id=user.id, email=user.email, password=NEW_PASSWORD, role=user.role)
    assert login(client, renamed).access_token
