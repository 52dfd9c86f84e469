"""A Redis that stops answering (a timeout, not a refused connection) never turns a password budget into
an error: the shared and the device budgets both count in this process instead, and still refuse."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app.composition import container
from app.domain.attempts import TooManyAttempts
from tests.support import databases
from tests.support.accounts import Account

LIMIT = 3
EMAIL = "frozen.redis@example.com"
DEVICE = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def frozen(app: Flask, hanging_server: int) -> Iterator[Flask]:
    """The app's database, with its limits on a Redis that accepts connections and never answers."""
    limited = databases.make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        {
            "RATELIMIT_ENABLED": "true",
            "REDIS_URL": f"redis://127.0.0.1:{hanging_server}/0",
            "REDIS_TIMEOUT_SECONDS": "0.2",
            "RATELIMIT_LOGIN_EMAIL": f"{LIMIT} per minute",
            "RATELIMIT_LOGIN_DEVICE": f"{LIMIT} per minute",
        },
    )
    yield limited
    databases.dispose(limited)


def test_the_shared_budget_counts_in_this_process_when_redis_times_out(frozen: Flask) -> None:
    with frozen.app_context():
        budget = container().attempts
        for _ in range(LIMIT):
            budget.spend(EMAIL)
        budget.refund(EMAIL)
        budget.spend(EMAIL)
        with pytest.raises(TooManyAttempts):
            budget.spend(EMAIL)
        budget.clear(EMAIL)
        budget.spend(EMAIL)


def test_the_device_budget_counts_in_this_process_when_redis_times_out(frozen: Flask) -> None:
    with frozen.app_context():
        budget = container().device_attempts
        for _ in range(LIMIT):
            budget.spend(EMAIL, DEVICE)
        budget.refund(EMAIL, DEVICE)
        budget.spend(EMAIL, DEVICE)
        with pytest.raises(TooManyAttempts):
            budget.spend(EMAIL, DEVICE)
        budget.clear(EMAIL)
        budget.spend(EMAIL, DEVICE)


def test_a_login_with_a_device_token_is_answered_while_redis_is_frozen(frozen: Flask, user: Account) -> None:
    client = frozen.test_client()
    first = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert first.status_code == 200, first.get_json()
    headers = {"X-Device-Token": first.get_json()["device_token"]}
    statuses = [
        client.post(
            "/api/v1/auth/login",
            json={"email": user.email, "password": "Not-The-Password-99"},
            headers=headers,
        ).status_code
        for _ in range(LIMIT + 1)
    ]
    assert statuses == [401] * LIMIT + [429]
