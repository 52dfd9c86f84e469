"""Password reset by mail, end to end: the API, the outbox, the in-process job queue and a real
SMTP server on loopback. Every test runs on a database of its own with real commits, since the
job runs on its own connection after the request's transaction commits."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.auth.models import PasswordResetToken
from app.composition import container
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.users.models import User
from tests.api.auth.helpers import FRONTEND, LOGIN, ME, REFRESH, assert_problem, settle, user_url
from tests.support.accounts import Account, create_account, login, unique_email
from tests.support.logs import ProductionLog
from tests.support.smtp_server import SmtpServer, html_of, text_of, token_in

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW_PASSWORD = "Amber-Lighthouse-Otter-17"
RESET_SUBJECT = "Reset your password"


@pytest.fixture
def app_overrides(smtp: SmtpServer) -> dict[str, Any]:
    return {"SMTP_URL": smtp.url, "FRONTEND_URL": FRONTEND, "MAIL_FROM": "Keel <no-reply@keel.test>"}


@pytest.fixture
def live(committed_app: Flask) -> Flask:
    return committed_app


@pytest.fixture
def web(live: Flask) -> FlaskClient:
    return live.test_client()


def request_reset(web: FlaskClient, email: str) -> None:
    response = web.post(RESET, json={"email": email})
    assert response.status_code == 202, response.get_json()


def mailed_token(web: FlaskClient, smtp: SmtpServer, account: Account) -> str:
    before = len(smtp.with_subject(RESET_SUBJECT))
    request_reset(web, account.email)
    return token_in(smtp.wait_for(before + 1, subject=RESET_SUBJECT)[before])


def test_reset_mail_leads_to_a_new_password_and_ends_every_session(
    live: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    account = create_account(live, name="Ann <b>&</b>")
    with live.app_context():  # only a proved address is greeted by name
        db.session.execute(sa.update(User).where(User.id == account.id).values(email_verified=True))
        db.session.commit()
    tokens = login(web, account)

    request_reset(web, account.email)
    [mail] = smtp.wait_for(1, subject=RESET_SUBJECT)
    assert mail["To"] == account.email
    assert mail["From"] == "Keel <no-reply@keel.test>"
    assert mail["Subject"] == "Reset your password"
    token = token_in(mail)
    assert f"{FRONTEND}/reset-password?token={token}" in text_of(mail)
    assert "Ann &lt;b&gt;&amp;&lt;/b&gt;" in html_of(mail)
    assert "<b>" not in html_of(mail)

    response = web.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 204, response.get_json()
    assert response.data == b""

    assert_problem(web.get(ME, headers=tokens.headers), 401, "token_revoked")
    assert web.post(REFRESH, headers=tokens.refresh_headers).status_code == 401
    assert_problem(
        web.post(LOGIN, json={"email": account.email, "password": account.password}),
        401,
        "invalid_credentials",
    )
    assert web.post(LOGIN, json={"email": account.email, "password": NEW_PASSWORD}).status_code == 200


def test_known_unknown_and_disabled_addresses_get_the_same_answer_and_only_one_gets_mail(
    live: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    known = create_account(live)
    disabled = create_account(live)
    with live.app_context():
        admin = create_account(live, role="admin")
    admin_headers = login(web, admin).headers
    assert (
        web.patch(user_url(disabled.id), json={"is_active": False}, headers=admin_headers).status_code == 200
    )

    answers = []
    for email in (known.email, unique_email("nobody"), disabled.email):
        response = web.post(RESET, json={"email": email})
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("x-request-id", "date")}
        answers.append((response.status_code, response.data, headers))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 202

    settle(live)
    assert [message["To"] for message in smtp.with_subject(RESET_SUBJECT)] == [known.email]


def test_a_token_works_once(live: Flask, web: FlaskClient, smtp: SmtpServer) -> None:
    token = mailed_token(web, smtp, create_account(live))
    assert web.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}).status_code == 204
    second = web.post(CONFIRM, json={"token": token, "new_password": "Copper-Meadow-Falcon-29"})
    assert_problem(second, 400, "invalid_token")


def test_a_reset_spends_every_other_mailed_token(live: Flask, web: FlaskClient, smtp: SmtpServer) -> None:
    account = create_account(live)
    first = mailed_token(web, smtp, account)
    second = mailed_token(web, smtp, account)
    assert web.post(CONFIRM, json={"token": second, "new_password": NEW_PASSWORD}).status_code == 204
    assert_problem(
        web.post(CONFIRM, json={"token": first, "new_password": NEW_PASSWORD}), 400, "invalid_token"
    )


def test_an_expired_token_is_refused(live: Flask, web: FlaskClient, smtp: SmtpServer) -> None:
    account = create_account(live)
    token = mailed_token(web, smtp, account)
    with live.app_context():
        db.session.execute(sa.update(PasswordResetToken).values(expires_at=container().clock()))
        db.session.commit()
    assert_problem(
        web.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}), 400, "invalid_token"
    )
    assert web.post(LOGIN, json={"email": account.email, "password": account.password}).status_code == 200


def test_a_token_issued_before_a_password_change_is_refused(
    live: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    account = create_account(live)
    token = mailed_token(web, smtp, account)
    tokens = login(web, account)
    changed = web.patch(
        user_url(account.id),
        json={"password": "Copper-Meadow-Falcon-29", "current_password": account.password},
        headers=tokens.headers,
    )
    assert changed.status_code == 200, changed.get_json()
    assert_problem(
        web.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}), 400, "invalid_token"
    )


def test_a_refused_new_password_leaves_the_token_usable(
    live: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    token = mailed_token(web, smtp, create_account(live))
    common = web.post(CONFIRM, json={"token": token, "new_password": "password1234"})
    problem = assert_problem(common, 422, "validation_error")
    assert "new_password" in str(problem)
    short = web.post(CONFIRM, json={"token": token, "new_password": "Zq9#Wv1"})
    assert_problem(short, 422, "validation_error")
    assert web.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}).status_code == 204


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"token": "not-a-token-we-issued", "new_password": NEW_PASSWORD}, 400, "invalid_token"),
        ({"token": "x" * 129, "new_password": NEW_PASSWORD}, 422, "validation_error"),
        ({"token": "", "new_password": NEW_PASSWORD}, 422, "validation_error"),
        ({"new_password": NEW_PASSWORD}, 422, "validation_error"),
        ({"token": ["a"], "new_password": NEW_PASSWORD}, 422, "validation_error"),
    ],
)
def test_bad_confirmations_are_problems(
    web: FlaskClient, body: dict[str, Any], status: int, code: str
) -> None:
    assert_problem(web.post(CONFIRM, json=body), status, code)


def test_bad_requests_are_problems_and_queue_nothing(live: Flask, web: FlaskClient) -> None:
    for body in ({}, {"email": "not-an-address"}, {"email": ["a@example.com"]}):
        assert_problem(web.post(RESET, json=body), 422, "validation_error")
    with live.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_the_database_keeps_no_usable_token_and_no_delivered_payload(
    live: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    account = create_account(live)
    token = mailed_token(web, smtp, account)
    settle(live)
    with live.app_context():
        hashes = list(db.session.scalars(sa.select(PasswordResetToken.token_hash)))
        payloads = list(db.session.scalars(sa.select(OutboxMessage.payload)))
    assert token not in str(hashes)
    assert payloads
    assert all(payload == {} for payload in payloads)


def test_no_token_and_no_address_reach_the_log(
    live: Flask, web: FlaskClient, smtp: SmtpServer, production_log: ProductionLog
) -> None:
    account = create_account(live)
    token = mailed_token(web, smtp, account)
    assert web.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}).status_code == 204
    settle(live)
    assert production_log.access(RESET)
    assert production_log.access(CONFIRM)
    assert token not in production_log.text
    assert account.email.split("@")[0] not in production_log.text


class TestThrottling:
    @pytest.fixture
    def app_overrides(self, smtp: SmtpServer) -> dict[str, Any]:
        return {
            "SMTP_URL": smtp.url,
            "RATELIMIT_ENABLED": "true",
            "RATELIMIT_PASSWORD_RESET_EMAIL": "2 per hour",
            "RATELIMIT_PASSWORD_RESET": "4 per hour",
            "RATELIMIT_PASSWORD_RESET_CONFIRM": "3 per hour",
        }

    def test_requests_are_limited_per_email_whether_or_not_it_has_an_account(self, web: FlaskClient) -> None:
        for email in ("ghost@example.com", " GHOST@example.com "):
            assert web.post(RESET, json={"email": email}).status_code == 202
        assert_problem(web.post(RESET, json={"email": "Ghost@Example.com"}), 429, "rate_limited")
        assert web.post(RESET, json={"email": "other@example.com"}).status_code == 202

    def test_requests_are_limited_per_client_address(self, web: FlaskClient) -> None:
        for number in range(4):
            assert web.post(RESET, json={"email": f"a{number}@example.com"}).status_code == 202
        response = web.post(RESET, json={"email": "fresh@example.com"})
        assert_problem(response, 429, "rate_limited")
        assert int(response.headers["Retry-After"]) > 0

    def test_guessing_tokens_runs_out_of_tries(self, web: FlaskClient) -> None:
        for number in range(3):
            guess = web.post(CONFIRM, json={"token": f"guess-{number}", "new_password": NEW_PASSWORD})
            assert_problem(guess, 400, "invalid_token")
        assert_problem(
            web.post(CONFIRM, json={"token": "guess-4", "new_password": NEW_PASSWORD}), 429, "rate_limited"
        )


class TestWithoutAMailServer:
    """The development default (`make run`): no SMTP_URL, so the mail is written to the log, and
    the link there completes the reset."""

    @pytest.fixture
    def app_overrides(self) -> dict[str, Any]:
        return {}

    def test_the_logged_link_resets_the_password(
        self, live: Flask, web: FlaskClient, production_log: ProductionLog
    ) -> None:
        account = create_account(live)
        request_reset(web, account.email)
        settle(live)
        [line] = [
            record["message"]
            for record in production_log.records()
            if record["logger"] == "keel.mail" and RESET_SUBJECT in record["message"]
        ]
        assert line.startswith("mail to ***@example.com: Reset your password")
        assert account.email not in line
        found = re.search(r"/reset-password\?token=([A-Za-z0-9_\-]+)", line)
        assert found is not None
        assert (
            web.post(CONFIRM, json={"token": found.group(1), "new_password": NEW_PASSWORD}).status_code == 204
        )
        assert web.post(LOGIN, json={"email": account.email, "password": NEW_PASSWORD}).status_code == 200
