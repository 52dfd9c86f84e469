"""The account's address hears of every second factor added or removed (a real SMTP server), and a
password reset leaves the second factor on: the mailbox alone never signs anybody in."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.auth.helpers import FRONTEND, LOGIN, assert_unauthorized, user_url
from tests.support.accounts import Account, create_account, login
from tests.support.smtp_server import SmtpServer, html_of, text_of, token_in
from tests.support.totp import DISABLE, STEP, VERIFY, enable, install_clock, start_login

ADDED = "A second factor was added to your account"
REMOVED = "The second factor of your account was removed"
RESET_SUBJECT = "Reset your password"
NEW_PASSWORD = "Amber-Lighthouse-Otter-17"


@pytest.fixture
def app_overrides(smtp: SmtpServer) -> dict[str, Any]:
    return {"SMTP_URL": smtp.url, "FRONTEND_URL": FRONTEND}


@pytest.fixture
def web(committed_app: Flask) -> FlaskClient:
    return committed_app.test_client()


def test_adding_and_turning_off_the_second_factor_are_mailed_to_the_account(
    committed_app: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    clock = install_clock(committed_app)
    account = create_account(committed_app)
    tokens = login(web, account)

    authenticator, codes = enable(web, tokens, account, clock)
    [added] = smtp.wait_for(1, subject=ADDED)
    assert added["To"] == account.email
    assert "second factor" in text_of(added)
    for code in codes:
        assert code not in text_of(added)
        assert code not in html_of(added)
    assert authenticator.secret not in text_of(added)

    response = web.post(
        DISABLE, json={"password": account.password, "code": authenticator.code()}, headers=tokens.headers
    )
    assert response.status_code == 204
    [removed] = smtp.wait_for(1, subject=REMOVED)
    assert removed["To"] == account.email


def test_an_admins_removal_is_mailed_to_the_account(
    committed_app: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    clock = install_clock(committed_app)
    account = create_account(committed_app)
    admin = create_account(committed_app, role="admin")
    enable(web, login(web, account), account, clock)
    smtp.wait_for(1, subject=ADDED)

    assert web.delete(f"{user_url(account.id)}/mfa", headers=login(web, admin).headers).status_code == 204

    [removed] = smtp.wait_for(1, subject=REMOVED)
    assert removed["To"] == account.email


def test_a_password_reset_leaves_the_second_factor_on(
    committed_app: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    clock = install_clock(committed_app)
    account: Account = create_account(committed_app)
    authenticator, _ = enable(web, login(web, account), account, clock)

    assert web.post("/api/v1/auth/password-reset", json={"email": account.email}).status_code == 202
    [mail] = smtp.wait_for(1, subject=RESET_SUBJECT)
    confirmed = web.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token_in(mail), "new_password": NEW_PASSWORD}
    )
    assert confirmed.status_code == 204, confirmed.get_json()

    answer = web.post(LOGIN, json={"email": account.email, "password": NEW_PASSWORD})
    assert_unauthorized(answer, "mfa_required")
    reset = Account(id=account.id, email=account.email, password=NEW_PASSWORD, role="user")
    clock.advance(STEP)
    token = start_login(web, reset)
    assert web.post(VERIFY, json={"mfa_token": token, "code": authenticator.code()}).status_code == 200
    assert smtp.with_subject(REMOVED) == []
