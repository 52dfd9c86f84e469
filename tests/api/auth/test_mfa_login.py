"""Login for an account with a second factor: the right password answers 401 `mfa_required` with a
single-use `mfa_token` and nothing else that signs in; one code for it completes the login. Codes
come from a real authenticator (pyotp) over the enrolled secret, on a clock the test moves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.auth.models import AuthSession, MfaChallenge
from app.extensions import db
from tests.api.auth.helpers import LOGIN, ME, REFRESH_COOKIE, assert_problem, assert_unauthorized, bearer
from tests.api.test_openapi_document import document, resolve
from tests.support.accounts import Account, Tokens
from tests.support.totp import (
    MFA,
    STEP,
    VERIFY,
    Authenticator,
    MovableClock,
    enable,
    install_clock,
    start_login,
)

DEVICE_COOKIE = "keel_device"


@pytest.fixture
def clock(app: Flask) -> MovableClock:
    return install_clock(app)


@pytest.fixture
def second_factor(
    client: FlaskClient, user: Account, user_tokens: Tokens, clock: MovableClock
) -> tuple[Authenticator, list[str]]:
    return enable(client, user_tokens, user, clock)


@pytest.fixture
def authenticator(second_factor: tuple[Authenticator, list[str]]) -> Authenticator:
    return second_factor[0]


@pytest.fixture
def recovery_codes(second_factor: tuple[Authenticator, list[str]]) -> list[str]:
    return second_factor[1]


def sessions_of(app: Flask, account: Account) -> int:
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(AuthSession).where(AuthSession.user_id == account.id)
        )
        db.session.remove()
    return int(count or 0)


def verify(client: FlaskClient, token: str, **code: str) -> Any:
    return client.post(VERIFY, json={"mfa_token": token, **code})


def test_the_right_password_answers_mfa_required_with_a_token_and_nothing_that_signs_in(
    app: Flask, fresh_client: FlaskClient, user: Account, authenticator: Authenticator
) -> None:
    before = sessions_of(app, user)

    response = fresh_client.post(LOGIN, json={"email": user.email, "password": user.password})

    body = assert_unauthorized(response, "mfa_required")
    assert body["mfa_methods"] == ["totp", "recovery_code"]
    assert isinstance(body["mfa_token"], str)
    assert len(body["mfa_token"]) >= 32
    assert not {"access_token", "refresh_token", "device_token"} & set(body)
    assert "Set-Cookie" not in response.headers
    assert fresh_client.get_cookie(REFRESH_COOKIE, path="/api/v1/auth") is None
    assert sessions_of(app, user) == before


def test_a_wrong_password_says_nothing_of_a_second_factor(
    fresh_client: FlaskClient, user: Account, authenticator: Authenticator
) -> None:
    response = fresh_client.post(LOGIN, json={"email": user.email, "password": "Not-The-Password-99"})

    body = assert_unauthorized(response, "invalid_credentials")
    assert "mfa_token" not in body


def test_the_code_completes_the_login_like_a_password_login(
    app: Flask, fresh_client: FlaskClient, user: Account, authenticator: Authenticator
) -> None:
    token = start_login(fresh_client, user)
    before = sessions_of(app, user)

    response = verify(fresh_client, token, code=authenticator.code())

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["device_token"]
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith(f"{REFRESH_COOKIE}=") for c in cookies)
    assert any(c.startswith(f"{DEVICE_COOKIE}=") for c in cookies)
    assert fresh_client.get(ME, headers=bearer(body["access_token"])).status_code == 200
    assert sessions_of(app, user) == before + 1


def test_an_mfa_token_works_once(
    fresh_client: FlaskClient, user: Account, authenticator: Authenticator, clock: MovableClock
) -> None:
    token = start_login(fresh_client, user)
    assert verify(fresh_client, token, code=authenticator.code()).status_code == 200
    clock.advance(STEP)

    assert_unauthorized(verify(fresh_client, token, code=authenticator.code()), "mfa_token_invalid")


def test_a_wrong_code_leaves_the_mfa_token_usable(
    fresh_client: FlaskClient, user: Account, authenticator: Authenticator
) -> None:
    token = start_login(fresh_client, user)
    wrong = f"{(int(authenticator.code()) + 1) % 1_000_000:06d}"

    assert_unauthorized(verify(fresh_client, token, code=wrong), "invalid_otp")

    assert verify(fresh_client, token, code=authenticator.code()).status_code == 200


def test_an_expired_or_unknown_mfa_token_is_refused(
    fresh_client: FlaskClient, user: Account, authenticator: Authenticator, clock: MovableClock
) -> None:
    token = start_login(fresh_client, user)
    clock.advance(timedelta(seconds=301))

    assert_unauthorized(verify(fresh_client, token, code=authenticator.code()), "mfa_token_invalid")
    assert_unauthorized(verify(fresh_client, "not-a-token", code=authenticator.code()), "mfa_token_invalid")


def test_a_step_works_once_and_no_older_step_after_a_newer_one(
    fresh_client: FlaskClient, user: Account, authenticator: Authenticator, clock: MovableClock
) -> None:
    used = authenticator.code(1)
    assert verify(fresh_client, start_login(fresh_client, user), code=used).status_code == 200

    assert_unauthorized(verify(fresh_client, start_login(fresh_client, user), code=used), "invalid_otp")
    # The current step is older than the one just used (the next one): refused too.
    assert_unauthorized(
        verify(fresh_client, start_login(fresh_client, user), code=authenticator.code()), "invalid_otp"
    )
    clock.advance(2 * STEP)
    assert verify(fresh_client, start_login(fresh_client, user), code=authenticator.code()).status_code == 200


@pytest.mark.parametrize(("steps", "accepted"), [(-2, False), (-1, True), (1, True), (2, False)])
def test_one_step_of_drift_either_side_is_accepted_and_two_are_not(
    fresh_client: FlaskClient,
    user: Account,
    authenticator: Authenticator,
    clock: MovableClock,
    steps: int,
    accepted: bool,
) -> None:
    # The confirming step lies behind: move on far enough that no earlier step was used.
    clock.advance(3 * STEP)
    token = start_login(fresh_client, user)

    response = verify(fresh_client, token, code=authenticator.code(steps))

    if accepted:
        assert response.status_code == 200, response.get_json()
    else:
        assert_unauthorized(response, "invalid_otp")


def test_a_recovery_code_signs_in_once(
    fresh_client: FlaskClient,
    user: Account,
    user_tokens: Tokens,
    recovery_codes: list[str],
) -> None:
    code = recovery_codes[3]
    assert (
        verify(fresh_client, start_login(fresh_client, user), recovery_code=code.upper()).status_code == 200
    )

    assert_unauthorized(
        verify(fresh_client, start_login(fresh_client, user), recovery_code=code), "invalid_otp"
    )
    assert fresh_client.get(MFA, headers=user_tokens.headers).get_json()["recovery_codes_remaining"] == 9


def test_a_totp_code_is_not_a_recovery_code(
    fresh_client: FlaskClient, user: Account, authenticator: Authenticator
) -> None:
    token = start_login(fresh_client, user)

    assert_unauthorized(verify(fresh_client, token, recovery_code=authenticator.code()), "invalid_otp")


@pytest.mark.parametrize(
    "codes", [{}, {"code": "123456", "recovery_code": "aaaa-bbbb-cccc"}], ids=["neither", "both"]
)
def test_exactly_one_code_is_sent(
    fresh_client: FlaskClient, user: Account, authenticator: Authenticator, codes: dict[str, str]
) -> None:
    token = start_login(fresh_client, user)

    assert_problem(verify(fresh_client, token, **codes), 422, "validation_error")


def test_an_account_disabled_meanwhile_cannot_complete_its_login(
    fresh_client: FlaskClient,
    client: FlaskClient,
    user: Account,
    authenticator: Authenticator,
    admin_tokens: Tokens,
) -> None:
    token = start_login(fresh_client, user)
    disabled = client.patch(
        f"/api/v1/users/{user.id}", json={"is_active": False}, headers=admin_tokens.headers
    )
    assert disabled.status_code == 200

    assert_problem(verify(fresh_client, token, code=authenticator.code()), 403, "account_disabled")


def test_an_account_without_a_second_factor_logs_in_with_the_password(
    fresh_client: FlaskClient, admin: Account
) -> None:
    response = fresh_client.post(LOGIN, json={"email": admin.email, "password": admin.password})

    assert response.status_code == 200


def test_purging_sessions_forgets_challenges_that_lapsed_long_ago(
    app: Flask, fresh_client: FlaskClient, user: Account, authenticator: Authenticator, clock: MovableClock
) -> None:
    start_login(fresh_client, user)
    clock.advance(timedelta(days=8))
    recent = start_login(fresh_client, user)

    result = app.test_cli_runner().invoke(args=["auth", "purge-sessions", "--older-than-days", "7"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        left = db.session.scalar(sa.select(sa.func.count()).select_from(MfaChallenge))
        db.session.remove()
    assert left == 1
    assert verify(fresh_client, recent, code=authenticator.code()).status_code == 200


def test_the_mfa_required_answer_is_what_the_document_declares_for_logins_401(
    fresh_client: FlaskClient, user: Account, authenticator: Authenticator
) -> None:
    spec = document(fresh_client)
    declared = spec["paths"]["/api/v1/auth/login"]["post"]["responses"]["401"]["content"]
    schema = resolve(spec, declared["application/problem+json"]["schema"])

    response = fresh_client.post(LOGIN, json={"email": user.email, "password": user.password})

    jsonschema.validate(response.get_json(), schema)
    assert {"mfa_token", "mfa_methods"} <= set(schema["properties"])
