"""Wrong second-factor codes spend the account's failure budget (a known device's own, with its
device token), and once it is spent even the right code is refused until the window ends."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.auth.helpers import assert_problem, assert_unauthorized
from tests.support.accounts import create_account, login
from tests.support.totp import CONFIRM, STEP, VERIFY, Authenticator, enable, enrol, install_clock, start_login

BUDGET = 3
DEVICE_HEADER = "X-Device-Token"


@pytest.fixture
def app_overrides(limiter_storage: dict[str, str]) -> dict[str, Any]:
    return {
        **limiter_storage,
        "RATELIMIT_LOGIN_EMAIL": f"{BUDGET} per 15 minutes",
        "RATELIMIT_LOGIN_DEVICE": f"{BUDGET} per 15 minutes",
        "RATELIMIT_LOGIN_IP": "1000 per minute",
    }


def wrong(authenticator: Authenticator) -> str:
    return f"{(int(authenticator.code()) + 1) % 1_000_000:06d}"


def test_wrong_codes_at_verify_spend_the_account_budget_and_then_even_the_right_code_waits(
    app: Flask, client: FlaskClient
) -> None:
    account = create_account(app)
    clock = install_clock(app)
    authenticator, _ = enable(client, login(client, account), account, clock)
    token = start_login(client, account)

    for _ in range(BUDGET):
        assert_unauthorized(
            client.post(VERIFY, json={"mfa_token": token, "code": wrong(authenticator)}), "invalid_otp"
        )

    response = client.post(VERIFY, json={"mfa_token": token, "code": authenticator.code()})
    assert_problem(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1


def test_the_right_code_gives_its_attempt_back(app: Flask, client: FlaskClient) -> None:
    account = create_account(app)
    clock = install_clock(app)
    authenticator, _ = enable(client, login(client, account), account, clock)

    for _ in range(BUDGET + 2):
        token = start_login(client, account)
        assert client.post(VERIFY, json={"mfa_token": token, "code": authenticator.code()}).status_code == 200
        clock.advance(STEP)


def test_a_known_device_spends_its_own_budget_not_the_accounts(app: Flask, client: FlaskClient) -> None:
    account = create_account(app)
    device = login(app.test_client(), account)  # a login of its own, before the second factor
    device_token = (
        app.test_client()
        .post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
        .get_json()["device_token"]
    )
    clock = install_clock(app)
    authenticator, _ = enable(client, device, account, clock)
    stranger, known = app.test_client(), app.test_client()

    token = start_login(known, account)
    for _ in range(BUDGET):
        reply = known.post(
            VERIFY,
            json={"mfa_token": token, "code": wrong(authenticator)},
            headers={DEVICE_HEADER: device_token},
        )
        assert_unauthorized(reply, "invalid_otp")
    assert_problem(
        known.post(
            VERIFY,
            json={"mfa_token": token, "code": authenticator.code()},
            headers={DEVICE_HEADER: device_token},
        ),
        429,
        "rate_limited",
    )

    # The account's shared budget is untouched: a client without the device token still signs in.
    other = start_login(stranger, account)
    assert stranger.post(VERIFY, json={"mfa_token": other, "code": authenticator.code()}).status_code == 200


def test_wrong_codes_at_confirm_spend_the_account_budget(app: Flask, client: FlaskClient) -> None:
    account = create_account(app)
    tokens = login(client, account)
    clock = install_clock(app)
    authenticator = Authenticator(enrol(client, tokens, account), clock)

    for _ in range(BUDGET):
        assert_unauthorized(
            client.post(CONFIRM, json={"code": wrong(authenticator)}, headers=tokens.headers), "invalid_otp"
        )

    assert_problem(
        client.post(CONFIRM, json={"code": authenticator.code()}, headers=tokens.headers), 429, "rate_limited"
    )
