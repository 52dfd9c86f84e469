"""Recent authentication with a second factor on: a sign-in completed with a code says so in `amr`,
and reauthenticating proves the code as well as the password (a real authenticator's codes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.auth.helpers import REFRESH, assert_problem, assert_unauthorized, bearer, claims_of, user_url
from tests.support.accounts import Account, Tokens
from tests.support.totp import STEP, VERIFY, Authenticator, MovableClock, enable, install_clock, start_login

REAUTHENTICATE = "/api/v1/auth/reauthenticate"
MAX_AGE = 120


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"REAUTH_MAX_AGE_SECONDS": str(MAX_AGE)}


@pytest.fixture
def clock(app: Flask) -> MovableClock:
    return install_clock(app)


@pytest.fixture
def authenticator(
    client: FlaskClient, user: Account, user_tokens: Tokens, clock: MovableClock
) -> Authenticator:
    return enable(client, user_tokens, user, clock)[0]


def sign_in_with_a_code(client: FlaskClient, user: Account, authenticator: Authenticator) -> dict[str, Any]:
    token = start_login(client, user)
    response = client.post(VERIFY, json={"mfa_token": token, "code": authenticator.code()})
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_a_sign_in_completed_with_a_code_carries_pwd_and_otp(
    client: FlaskClient, user: Account, authenticator: Authenticator, clock: MovableClock
) -> None:
    body = sign_in_with_a_code(client, user, authenticator)

    claims = claims_of(body["access_token"])
    assert claims["amr"] == ["pwd", "otp"]
    assert claims["auth_time"] == int(clock.now.timestamp())


def test_a_refresh_keeps_the_second_factor_in_amr(
    client: FlaskClient, user: Account, authenticator: Authenticator, clock: MovableClock
) -> None:
    body = sign_in_with_a_code(client, user, authenticator)
    signed_in = int(clock.now.timestamp())
    clock.advance(timedelta(minutes=10))

    refreshed = client.post(REFRESH, headers=bearer(body["refresh_token"]))

    assert refreshed.status_code == 200, refreshed.get_json()
    claims = claims_of(refreshed.get_json()["access_token"])
    assert claims["amr"] == ["pwd", "otp"]
    assert claims["auth_time"] == signed_in


def test_reauthenticating_without_a_code_is_mfa_required_and_not_recent(
    client: FlaskClient, user: Account, authenticator: Authenticator, clock: MovableClock
) -> None:
    body = sign_in_with_a_code(client, user, authenticator)
    clock.advance(timedelta(hours=1))

    problem = assert_unauthorized(
        client.post(REAUTHENTICATE, json={"password": user.password}, headers=bearer(body["access_token"])),
        "mfa_required",
    )

    assert "access_token" not in problem
    assert "mfa_token" not in problem
    stale = client.delete(user_url(user.id), headers=bearer(body["access_token"]))
    assert_problem(stale, 403, "reauthentication_required")


def test_reauthenticating_with_a_wrong_code_is_invalid_otp(
    client: FlaskClient, user: Account, authenticator: Authenticator, clock: MovableClock
) -> None:
    body = sign_in_with_a_code(client, user, authenticator)
    clock.advance(timedelta(hours=1))
    wrong = authenticator.code(steps=5)

    response = client.post(
        REAUTHENTICATE, json={"password": user.password, "code": wrong}, headers=bearer(body["access_token"])
    )

    assert_unauthorized(response, "invalid_otp")


def test_reauthenticating_with_the_password_and_a_code_makes_the_session_recent_again(
    client: FlaskClient, user: Account, authenticator: Authenticator, clock: MovableClock
) -> None:
    body = sign_in_with_a_code(client, user, authenticator)
    clock.advance(timedelta(hours=1))

    response = client.post(
        REAUTHENTICATE,
        json={"password": user.password, "code": authenticator.code()},
        headers=bearer(body["access_token"]),
    )

    assert response.status_code == 200, response.get_json()
    fresh = response.get_json()["access_token"]
    claims = claims_of(fresh)
    assert claims["amr"] == ["pwd", "otp"]
    assert claims["auth_time"] == int(clock.now.timestamp())
    assert client.delete(user_url(user.id), headers=bearer(fresh)).status_code == 204


def test_the_code_a_reauthentication_spent_does_not_work_twice(
    client: FlaskClient, user: Account, authenticator: Authenticator, clock: MovableClock
) -> None:
    body = sign_in_with_a_code(client, user, authenticator)
    clock.advance(STEP)
    code = authenticator.code()
    payload = {"password": user.password, "code": code}
    assert client.post(REAUTHENTICATE, json=payload, headers=bearer(body["access_token"])).status_code == 200

    replay = client.post(REAUTHENTICATE, json=payload, headers=bearer(body["access_token"]))

    assert_unauthorized(replay, "invalid_otp")
