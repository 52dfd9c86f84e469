"""Email verification end to end: the mail sent at registration and on an email change, the
token followed to the end, and REQUIRE_VERIFIED_EMAIL at login."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.auth.helpers import FRONTEND, LOGIN, ME, REGISTER, assert_problem, bearer, settle, user_url
from tests.support.accounts import DEFAULT_PASSWORD, Account, login, unique_email
from tests.support.smtp_server import SmtpServer, token_in

VERIFY = "/api/v1/auth/verify-email"
RESEND = "/api/v1/auth/verify-email/resend"
VERIFY_SUBJECT = "Confirm your email address"


@pytest.fixture
def app_overrides(smtp: SmtpServer) -> dict[str, Any]:
    return {"SMTP_URL": smtp.url, "FRONTEND_URL": FRONTEND, "REQUIRE_VERIFIED_EMAIL": "true"}


@pytest.fixture
def web(committed_app: Flask) -> FlaskClient:
    return committed_app.test_client()


def register(web: FlaskClient) -> Account:
    email = unique_email("verify")
    response = web.post(REGISTER, json={"email": email, "password": DEFAULT_PASSWORD, "name": "Vera"})
    assert response.status_code == 201, response.get_json()
    return Account(id=response.get_json()["id"], email=email, password=DEFAULT_PASSWORD, role="user")


def test_registration_mails_a_link_that_verifies_the_address_and_opens_login(
    web: FlaskClient, smtp: SmtpServer
) -> None:
    account = register(web)
    [mail] = smtp.wait_for(1, subject=VERIFY_SUBJECT)
    assert mail["To"] == account.email
    token = token_in(mail)
    assert f"{FRONTEND}/verify-email?token=" in mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]

    refused = web.post(LOGIN, json={"email": account.email, "password": account.password})
    assert_problem(refused, 403, "email_unverified")
    assert_problem(
        web.post(LOGIN, json={"email": account.email, "password": "Wrong-Password-99"}),
        401,
        "invalid_credentials",
    )

    assert web.post(VERIFY, json={"token": token}).status_code == 204
    assert web.post(VERIFY, json={"token": token}).status_code == 204
    tokens = login(web, account)
    assert web.get(ME, headers=tokens.headers).get_json()["email_verified"] is True


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"token": "not-a-token"}, 400, "invalid_token"),
        ({"token": ""}, 422, "validation_error"),
        ({}, 422, "validation_error"),
        ({"token": 42}, 422, "validation_error"),
    ],
)
def test_bad_tokens_are_problems(web: FlaskClient, body: dict[str, Any], status: int, code: str) -> None:
    assert_problem(web.post(VERIFY, json=body), status, code)


def test_a_changed_email_must_be_verified_again_and_the_old_address_hears_of_it(
    committed_app: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    account = register(web)
    first = token_in(smtp.wait_for(1, subject=VERIFY_SUBJECT)[0])
    assert web.post(VERIFY, json={"token": first}).status_code == 204
    tokens = login(web, account)
    new_email = unique_email("moved")
    changed = web.patch(
        user_url(account.id),
        json={"email": new_email, "current_password": account.password},
        headers=tokens.headers,
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["email_verified"] is False

    [_, second] = smtp.wait_for(2, subject=VERIFY_SUBJECT)
    [notice] = smtp.wait_for(1, subject="Your email address was changed")
    assert second["To"] == new_email
    assert notice["To"] == account.email
    assert new_email not in notice.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert_problem(web.post(VERIFY, json={"token": first}), 400, "invalid_token")
    assert web.post(VERIFY, json={"token": token_in(second)}).status_code == 204
    assert web.get(ME, headers=tokens.headers).get_json()["email_verified"] is True


class TestResend:
    @pytest.fixture
    def app_overrides(self, smtp: SmtpServer) -> dict[str, Any]:
        return {"SMTP_URL": smtp.url, "FRONTEND_URL": FRONTEND}

    def test_resend_mails_a_new_link_until_the_address_is_verified(
        self, committed_app: Flask, web: FlaskClient, smtp: SmtpServer
    ) -> None:
        account = register(web)
        tokens = login(web, account)
        assert web.post(RESEND, headers=tokens.headers).status_code == 202
        [_, resent] = smtp.wait_for(2, subject=VERIFY_SUBJECT)
        assert web.post(VERIFY, json={"token": token_in(resent)}).status_code == 204
        assert web.post(RESEND, headers=tokens.headers).status_code == 202
        settle(committed_app)
        assert len(smtp.with_subject(VERIFY_SUBJECT)) == 2
        assert_problem(web.post(RESEND), 401, "unauthorized")
        assert web.post(RESEND, headers=bearer(tokens.refresh_token)).status_code == 401
