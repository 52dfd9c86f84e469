"""Managing the second factor: new recovery codes (the old ones stop working), turning it off with
the password and a code (every other session ends), an admin's removal, and the SecondFactor port
reauthentication confirms codes through."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.errors import InvalidOtp, MfaRequired
from app.composition import container
from app.domain.second_factor import NoSecondFactor
from tests.api.auth.helpers import LOGIN, ME, assert_problem, assert_unauthorized, user_url
from tests.support.accounts import Account, Tokens
from tests.support.totp import (
    DISABLE,
    MFA,
    RECOVERY,
    STEP,
    VERIFY,
    Authenticator,
    MovableClock,
    enable,
    install_clock,
    start_login,
)

WRONG_PASSWORD = "Not-The-Password-99"


@pytest.fixture
def clock(app: Flask) -> MovableClock:
    return install_clock(app)


@pytest.fixture
def second_factor(
    client: FlaskClient, user: Account, user_tokens: Tokens, clock: MovableClock
) -> tuple[Authenticator, list[str]]:
    return enable(client, user_tokens, user, clock)


def mfa_url(user_id: object) -> str:
    return f"{user_url(user_id)}/mfa"


def test_new_recovery_codes_replace_every_old_one(
    fresh_client: FlaskClient,
    client: FlaskClient,
    user: Account,
    user_tokens: Tokens,
    second_factor: tuple[Authenticator, list[str]],
) -> None:
    authenticator, old = second_factor
    response = client.post(
        RECOVERY, json={"password": user.password, "code": authenticator.code()}, headers=user_tokens.headers
    )

    assert response.status_code == 200, response.get_json()
    new = response.get_json()["recovery_codes"]
    assert len(set(new)) == 10
    assert not set(new) & set(old)
    assert_unauthorized(
        fresh_client.post(
            VERIFY, json={"mfa_token": start_login(fresh_client, user), "recovery_code": old[0]}
        ),
        "invalid_otp",
    )
    token = start_login(fresh_client, user)
    assert fresh_client.post(VERIFY, json={"mfa_token": token, "recovery_code": new[0]}).status_code == 200
    assert client.get(MFA, headers=user_tokens.headers).get_json()["recovery_codes_remaining"] == 9


def test_a_recovery_code_may_stand_for_the_app_and_is_spent(
    client: FlaskClient, user: Account, user_tokens: Tokens, second_factor: tuple[Authenticator, list[str]]
) -> None:
    _, codes = second_factor
    body = {"password": user.password, "code": codes[0]}

    assert client.post(RECOVERY, json=body, headers=user_tokens.headers).status_code == 200
    assert_unauthorized(client.post(DISABLE, json=body, headers=user_tokens.headers), "invalid_otp")


@pytest.mark.parametrize("path", [RECOVERY, DISABLE])
def test_a_wrong_password_or_code_changes_nothing(
    client: FlaskClient,
    user: Account,
    user_tokens: Tokens,
    second_factor: tuple[Authenticator, list[str]],
    path: str,
) -> None:
    authenticator, _ = second_factor
    wrong_code = f"{(int(authenticator.code()) + 1) % 1_000_000:06d}"

    assert_problem(
        client.post(
            path, json={"password": WRONG_PASSWORD, "code": authenticator.code()}, headers=user_tokens.headers
        ),
        403,
        "invalid_current_password",
    )
    assert_unauthorized(
        client.post(path, json={"password": user.password, "code": wrong_code}, headers=user_tokens.headers),
        "invalid_otp",
    )
    assert client.get(MFA, headers=user_tokens.headers).get_json() == {
        "totp_enabled": True,
        "recovery_codes_remaining": 10,
    }


@pytest.mark.parametrize("path", [RECOVERY, DISABLE])
def test_without_a_second_factor_there_is_nothing_to_manage(
    client: FlaskClient, user: Account, user_tokens: Tokens, path: str
) -> None:
    response = client.post(
        path, json={"password": user.password, "code": "123456"}, headers=user_tokens.headers
    )

    assert_problem(response, 409, "mfa_not_enabled")


def test_turning_it_off_ends_every_other_session_and_login_needs_the_password_only(
    app: Flask,
    client: FlaskClient,
    user: Account,
    user_tokens: Tokens,
    second_factor: tuple[Authenticator, list[str]],
) -> None:
    authenticator, _ = second_factor
    other_client = app.test_client()
    token = start_login(other_client, user)
    other = other_client.post(VERIFY, json={"mfa_token": token, "code": authenticator.code()}).get_json()
    authenticator.clock.advance(STEP)

    response = client.post(
        DISABLE, json={"password": user.password, "code": authenticator.code()}, headers=user_tokens.headers
    )

    assert response.status_code == 204, response.get_json()
    assert_unauthorized(
        other_client.get(ME, headers={"Authorization": f"Bearer {other['access_token']}"}), "token_revoked"
    )
    assert client.get(ME, headers=user_tokens.headers).status_code == 200
    assert client.get(MFA, headers=user_tokens.headers).get_json() == {
        "totp_enabled": False,
        "recovery_codes_remaining": 0,
    }
    assert (
        app.test_client().post(LOGIN, json={"email": user.email, "password": user.password}).status_code
        == 200
    )


def test_an_admin_removes_a_users_second_factor(
    client: FlaskClient,
    user: Account,
    admin_tokens: Tokens,
    second_factor: tuple[Authenticator, list[str]],
) -> None:
    response = client.delete(mfa_url(user.id), headers=admin_tokens.headers)

    assert response.status_code == 204
    assert client.post(LOGIN, json={"email": user.email, "password": user.password}).status_code == 200
    assert client.delete(mfa_url(user.id), headers=admin_tokens.headers).status_code == 204


def test_only_an_admin_removes_a_second_factor_and_only_of_a_user_that_exists(
    client: FlaskClient,
    user: Account,
    user_tokens: Tokens,
    admin_tokens: Tokens,
    second_factor: tuple[Authenticator, list[str]],
) -> None:
    assert_problem(client.delete(mfa_url(user.id), headers=user_tokens.headers), 403, "forbidden")
    assert_problem(client.delete(mfa_url(uuid.uuid4()), headers=admin_tokens.headers), 404, "not_found")
    assert client.get(MFA, headers=user_tokens.headers).get_json()["totp_enabled"] is True


def test_the_second_factor_port_confirms_a_code_once(
    app: Flask, admin: Account, user: Account, second_factor: tuple[Authenticator, list[str]]
) -> None:
    authenticator, codes = second_factor
    with app.app_context():
        port = container().second_factor()
        assert port.confirm(admin.id, None) == ()
        with pytest.raises(MfaRequired):
            port.confirm(user.id, None)
        with pytest.raises(InvalidOtp):
            port.confirm(user.id, f"{(int(authenticator.code()) + 1) % 1_000_000:06d}")
        assert port.confirm(user.id, authenticator.code()) == ("otp",)
        with pytest.raises(InvalidOtp):
            port.confirm(user.id, authenticator.code())
        assert port.confirm(user.id, codes[0]) == ("otp",)
        assert NoSecondFactor().confirm(user.id, None) == ()
