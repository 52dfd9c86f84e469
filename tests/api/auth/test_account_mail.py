"""What account mail says and which links stay good, on a real SMTP server: no sign-up name in
mail to an unproved address, no address in the verification link, reset links void after an email
change, and a security notice for every changed or reset password."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.auth.helpers import FRONTEND, LOGIN, REGISTER, assert_problem, settle, user_url
from tests.support.accounts import DEFAULT_PASSWORD, Account, login, unique_email
from tests.support.smtp_server import SmtpServer, html_of, text_of, token_in

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
VERIFY = "/api/v1/auth/verify-email"
VERIFY_SUBJECT = "Confirm your email address"
RESET_SUBJECT = "Reset your password"
CHANGED_SUBJECT = "Your password was changed"
WAS_RESET_SUBJECT = "Your password was reset"
NEW_PASSWORD = "Amber-Lighthouse-Otter-17"
LURE = "Hello URGENT: your account is locked, sign in at https://evil.example"


@pytest.fixture
def app_overrides(smtp: SmtpServer) -> dict[str, Any]:
    return {"SMTP_URL": smtp.url, "FRONTEND_URL": FRONTEND}


@pytest.fixture
def web(committed_app: Flask) -> FlaskClient:
    return committed_app.test_client()


def register(web: FlaskClient, name: str = "Vera") -> Account:
    email = unique_email("mail")
    response = web.post(REGISTER, json={"email": email, "password": DEFAULT_PASSWORD, "name": name})
    assert response.status_code == 201, response.get_json()
    return Account(id=response.get_json()["id"], email=email, password=DEFAULT_PASSWORD, role="user")


def payload_of(token: str) -> bytes:
    """What anyone holding the link reads from an itsdangerous token: its base64 (maybe zlib) part."""
    compressed = token.startswith(".")
    body = token.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return zlib.decompress(raw) if compressed else raw


def test_a_sign_up_name_never_reaches_an_address_nobody_has_proved(
    committed_app: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    account = register(web, name=LURE)
    [verify] = smtp.wait_for(1, subject=VERIFY_SUBJECT)
    assert web.post(RESET, json={"email": account.email}).status_code == 202
    [reset] = smtp.wait_for(1, subject=RESET_SUBJECT)

    for mail in (verify, reset):
        assert "URGENT" not in text_of(mail)
        assert "URGENT" not in html_of(mail)
        assert text_of(mail).startswith("Hello,")


def test_a_verified_address_is_greeted_by_name(
    committed_app: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    account = register(web, name="Vera")
    assert (
        web.post(VERIFY, json={"token": token_in(smtp.wait_for(1, subject=VERIFY_SUBJECT)[0])}).status_code
        == 204
    )
    assert web.post(RESET, json={"email": account.email}).status_code == 202
    [reset] = smtp.wait_for(1, subject=RESET_SUBJECT)
    assert text_of(reset).startswith("Hello Vera,")


def test_the_verification_link_carries_no_address(web: FlaskClient, smtp: SmtpServer) -> None:
    account = register(web)
    token = token_in(smtp.wait_for(1, subject=VERIFY_SUBJECT)[0])
    payload = payload_of(token).lower()
    assert account.email.lower().encode() not in payload
    assert account.email.split("@")[0].lower().encode() not in payload
    assert b"@" not in payload
    assert web.post(VERIFY, json={"token": token}).status_code == 204


def test_a_reset_link_mailed_before_an_email_change_is_refused_after_it(
    committed_app: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    account = register(web)
    assert web.post(RESET, json={"email": account.email}).status_code == 202
    reset_token = token_in(smtp.wait_for(1, subject=RESET_SUBJECT)[0])
    tokens = login(web, account)
    moved = unique_email("moved")
    changed = web.patch(
        user_url(account.id),
        json={"email": moved, "current_password": account.password},
        headers=tokens.headers,
    )
    assert changed.status_code == 200, changed.get_json()

    refused = web.post(CONFIRM, json={"token": reset_token, "new_password": NEW_PASSWORD})

    assert_problem(refused, 400, "invalid_token")
    assert web.post(LOGIN, json={"email": moved, "password": account.password}).status_code == 200


def test_a_changed_password_mails_a_notice_without_the_password(
    committed_app: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    account = register(web)
    tokens = login(web, account)
    changed = web.patch(
        user_url(account.id),
        json={"password": NEW_PASSWORD, "current_password": account.password},
        headers=tokens.headers,
    )
    assert changed.status_code == 200, changed.get_json()

    [notice] = smtp.wait_for(1, subject=CHANGED_SUBJECT)
    assert notice["To"] == account.email
    assert "password of your account was changed" in text_of(notice)
    for secret in (NEW_PASSWORD, account.password, tokens.access_token):
        assert secret not in notice.as_string()


def test_a_refused_password_change_mails_no_notice(
    committed_app: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    account = register(web)
    tokens = login(web, account)
    refused = web.patch(
        user_url(account.id),
        json={"password": NEW_PASSWORD, "current_password": "Wrong-Password-99"},
        headers=tokens.headers,
    )
    assert refused.status_code == 403
    settle(committed_app)
    assert smtp.with_subject(CHANGED_SUBJECT) == []


def test_a_reset_password_mails_a_notice_without_the_token_or_password(
    committed_app: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    account = register(web)
    assert web.post(RESET, json={"email": account.email}).status_code == 202
    token = token_in(smtp.wait_for(1, subject=RESET_SUBJECT)[0])
    assert web.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}).status_code == 204

    [notice] = smtp.wait_for(1, subject=WAS_RESET_SUBJECT)
    assert notice["To"] == account.email
    assert "reset with a link" in text_of(notice)
    assert token not in notice.as_string()
    assert NEW_PASSWORD not in notice.as_string()
    assert "token=" not in notice.as_string()
