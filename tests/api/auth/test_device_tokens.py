"""Device tokens (OWASP device cookies): a stranger spending an account's shared failure budget never
locks the owner out of a device they signed in on before; a known device has a budget of its own;
only a valid token of that very account counts; a password reset clears the account's budgets.

Over real HTTP through the test client, with the limits in memory and on Redis."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.auth.device_tokens import DeviceTokens
from app.composition import container
from app.domain.attempts import TooManyAttempts
from app.domain.clock import utcnow
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.api.auth.helpers import AUTH_COOKIE_PATH, FOREIGN_KEY, FRONTEND, LOGIN, assert_problem, bearer
from tests.support.accounts import Account, create_account, login
from tests.support.logs import ProductionLog
from tests.support.smtp_server import SmtpServer, token_in

SHARED_BUDGET = 3
DEVICE_BUDGET = 2
DEVICE_COOKIE = "keel_device"
DEVICE_HEADER = "X-Device-Token"
WRONG = "Not-The-Password-99"
AUDIT = "/api/v1/audit-events"
RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"


@pytest.fixture
def app_overrides(limiter_storage: dict[str, str]) -> dict[str, Any]:
    return {
        **limiter_storage,
        "RATELIMIT_LOGIN_EMAIL": f"{SHARED_BUDGET} per 15 minutes",
        "RATELIMIT_LOGIN_DEVICE": f"{DEVICE_BUDGET} per 15 minutes",
        "RATELIMIT_LOGIN_IP": "1000 per minute",
        "RATELIMIT_DEFAULT": "1000 per minute",
    }


def post_login(
    client: FlaskClient, account: Account, password: str, headers: dict[str, str] | None = None
) -> TestResponse:
    return client.post(LOGIN, json={"email": account.email, "password": password}, headers=headers or {})


def device_token_of(client: FlaskClient, account: Account) -> str:
    """Sign in once with the right password: the client keeps the cookie, the caller gets the token."""
    response = post_login(client, account, account.password)
    assert response.status_code == 200, response.get_json()
    token = str(response.get_json()["device_token"])
    cookie = client.get_cookie(DEVICE_COOKIE, path=AUTH_COOKIE_PATH)
    assert cookie is not None
    assert cookie.value == token
    return token


def spend_the_shared_budget(app: Flask, account: Account) -> None:
    """A stranger (no cookies, no device token) guesses until the account's shared budget is gone."""
    stranger = app.test_client()
    for _ in range(SHARED_BUDGET):
        assert post_login(stranger, account, WRONG).status_code == 401
    # The shared budget is spent: even the right password is refused for a client the account does not know.
    assert_problem(post_login(stranger, account, account.password), 429, "rate_limited")


@pytest.mark.parametrize("presented_as", ["cookie", "header"])
def test_the_owner_with_a_device_token_logs_in_after_a_stranger_spent_the_shared_budget(
    app: Flask, user: Account, presented_as: str
) -> None:
    owner = app.test_client()
    token = device_token_of(owner, user)
    spend_the_shared_budget(app, user)

    if presented_as == "cookie":
        response = post_login(owner, user, user.password)
    else:
        response = post_login(app.test_client(), user, user.password, {DEVICE_HEADER: token})
    assert response.status_code == 200, response.get_json()
    # A new device token for the next time.
    assert response.get_json()["device_token"] != token


def test_the_device_budget_holds_for_that_device_and_spends_nothing_shared(app: Flask, user: Account) -> None:
    owner = app.test_client()
    device_token_of(owner, user)
    for _ in range(DEVICE_BUDGET):
        assert post_login(owner, user, WRONG).status_code == 401
    assert_problem(post_login(owner, user, WRONG), 429, "rate_limited")
    assert_problem(post_login(owner, user, user.password), 429, "rate_limited")

    # The device's failures were its own: the shared budget and other devices are untouched.
    assert post_login(app.test_client(), user, user.password).status_code == 200
    other_device = app.test_client()
    device_token_of(other_device, user)
    assert post_login(other_device, user, user.password).status_code == 200


def test_another_accounts_device_token_counts_as_none(app: Flask, user: Account) -> None:
    other = create_account(app)
    others_token = device_token_of(app.test_client(), other)
    spend_the_shared_budget(app, user)

    response = post_login(app.test_client(), user, user.password, {DEVICE_HEADER: others_token})
    assert_problem(response, 429, "rate_limited")


def _forgeries(app: Flask, user: Account, real: str) -> dict[str, str]:
    with app.app_context():
        secret = container().settings.jwt_secret_key
        issued_long_ago = DeviceTokens(
            secret, ttl=timedelta(hours=1), clock=lambda: utcnow() - timedelta(days=1)
        )
        expired = issued_long_ago.issue(user.email).value
    foreign = DeviceTokens(FOREIGN_KEY, ttl=timedelta(days=365)).issue(user.email).value
    version, device, expires, mac = real.split(".")
    return {
        "expired": expired,
        "signed with another key": foreign,
        "expiry moved": f"{version}.{device}.{int(expires) + 1}.{mac}",
        "device swapped": f"{version}.{'0' * 32}.{expires}.{mac}",
        "not a token": "garbage",
    }


def test_a_forged_or_expired_device_token_counts_as_none(app: Flask, user: Account) -> None:
    real = device_token_of(app.test_client(), user)
    spend_the_shared_budget(app, user)
    for name, forged in _forgeries(app, user, real).items():
        response = post_login(app.test_client(), user, user.password, {DEVICE_HEADER: forged})
        assert response.status_code == 429, name
    # The real one still works, as a header or alongside a forged cookie.
    headers = {DEVICE_HEADER: real, "Cookie": f"{DEVICE_COOKIE}=garbage"}
    assert post_login(app.test_client(), user, user.password, headers).status_code == 200


def test_the_device_token_never_reaches_the_log(
    app: Flask, user: Account, production_log: ProductionLog
) -> None:
    token = device_token_of(app.test_client(), user)
    post_login(app.test_client(), user, WRONG, {DEVICE_HEADER: token})
    logging.getLogger("keel.test").warning("quoted by mistake: %s", token, extra={"device_token": token})
    assert production_log.lines
    assert token not in production_log.text


def test_every_password_check_the_budget_refuses_is_recorded(
    app: Flask, user: Account, admin: Account
) -> None:
    spend_the_shared_budget(app, user)  # one refusal
    assert post_login(app.test_client(), user, WRONG).status_code == 429
    admin_client = app.test_client()
    admin_token = admin_client.post(LOGIN, json={"email": admin.email, "password": admin.password}).get_json()
    response = admin_client.get(
        AUDIT,
        query_string={"event": "password_check_refused", "user_id": str(user.id)},
        headers=bearer(admin_token["access_token"]),
    )
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["items"]) == 2


def run_the_outbox(app: Flask) -> None:
    """Deliver what the request queued, here: with Redis the queue is Dramatiq's, and no worker runs."""
    for _ in range(2):  # the reset request, then the mail it queues
        with app.app_context():
            pending = db.session.scalars(
                sa.select(OutboxMessage.id).where(OutboxMessage.status == "pending")
            ).all()
            db.session.remove()
            for message_id in pending:
                container().outbox_processor().process(message_id)


class TestAPasswordReset:
    NEW_PASSWORD = "Amber-Lighthouse-Otter-17"

    @pytest.fixture
    def app_overrides(self, limiter_storage: dict[str, str], smtp: SmtpServer) -> dict[str, Any]:
        return {
            **limiter_storage,
            "RATELIMIT_LOGIN_EMAIL": f"{SHARED_BUDGET} per 15 minutes",
            "RATELIMIT_LOGIN_DEVICE": f"{DEVICE_BUDGET} per 15 minutes",
            "RATELIMIT_LOGIN_IP": "1000 per minute",
            "RATELIMIT_DEFAULT": "1000 per minute",
            "SMTP_URL": smtp.url,
            "FRONTEND_URL": FRONTEND,
            "MAIL_FROM": "Keel <no-reply@keel.test>",
        }

    def test_clears_the_shared_and_the_device_budgets_of_the_account(
        self, committed_app: Flask, smtp: SmtpServer
    ) -> None:
        app = committed_app
        account = create_account(app)
        owner_device = app.test_client()
        device_token_of(owner_device, account)
        for _ in range(DEVICE_BUDGET):
            assert post_login(owner_device, account, WRONG).status_code == 401
        spend_the_shared_budget(app, account)

        web = app.test_client()
        assert web.post(RESET, json={"email": account.email}).status_code == 202
        run_the_outbox(app)
        token = token_in(smtp.wait_for(1, subject="Reset your password")[0])
        confirmed = web.post(CONFIRM, json={"token": token, "new_password": self.NEW_PASSWORD})
        assert confirmed.status_code == 204, confirmed.get_json()

        account.password = self.NEW_PASSWORD
        assert post_login(app.test_client(), account, account.password).status_code == 200
        assert post_login(owner_device, account, account.password).status_code == 200

    def test_clears_the_budgets_of_the_accounts_sessions(
        self, committed_app: Flask, smtp: SmtpServer
    ) -> None:
        """The reset ends every session too, so no request can show it: the budget itself is asked."""
        app = committed_app
        account = create_account(app)
        signed_in = app.test_client()
        tokens = login(signed_in, account)
        wrong = {"password": self.NEW_PASSWORD, "current_password": WRONG}
        for _ in range(DEVICE_BUDGET):
            response = signed_in.patch(f"/api/v1/users/{account.id}", json=wrong, headers=tokens.headers)
            assert_problem(response, 403, "invalid_current_password")
        session = jwt.decode(tokens.access_token, options={"verify_signature": False})["sid"]
        with app.app_context(), pytest.raises(TooManyAttempts):
            container().session_attempts.spend(account.email, session)

        web = app.test_client()
        assert web.post(RESET, json={"email": account.email}).status_code == 202
        run_the_outbox(app)
        token = token_in(smtp.wait_for(1, subject="Reset your password")[0])
        confirmed = web.post(CONFIRM, json={"token": token, "new_password": self.NEW_PASSWORD})
        assert confirmed.status_code == 204, confirmed.get_json()

        with app.app_context():
            for _ in range(DEVICE_BUDGET):
                container().session_attempts.spend(account.email, session)
