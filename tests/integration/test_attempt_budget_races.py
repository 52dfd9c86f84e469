"""The per-account password budget holds under real concurrent requests, in memory and on Redis: however
many guesses arrive at once, no more than the budget reach a password check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.support.accounts import Account, create_account, login
from tests.support.concurrency import Server, run_together, serve

BUDGET = 10
CONTENDERS = 24


@pytest.fixture
def app_overrides(limiter_storage: dict[str, str]) -> dict[str, Any]:
    return {
        **limiter_storage,
        "RATELIMIT_LOGIN_EMAIL": f"{BUDGET} per 15 minutes",
        "RATELIMIT_LOGIN_IP": "1000 per minute",
        "RATELIMIT_DEFAULT": "1000 per minute",
        "DB_POOL_SIZE": str(CONTENDERS + 4),
    }


@pytest.fixture
def server(committed_app: Flask) -> Iterator[Server]:
    with serve(committed_app) as running:
        yield running


def test_parallel_wrong_passwords_for_one_account_get_no_more_than_the_budget(server: Server) -> None:
    account = create_account(server.app)
    replies = run_together(
        CONTENDERS,
        lambda n: server.request(
            "POST", "/api/v1/auth/login", body={"email": account.email, "password": f"wrong-guess-{n}"}
        ),
    )
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [401] * BUDGET + [429] * (CONTENDERS - BUDGET)
    assert {reply.code for reply in replies if reply.status == 429} == {"rate_limited"}
    assert all(int(reply.headers["Retry-After"]) >= 1 for reply in replies if reply.status == 429)


def test_parallel_wrong_current_passwords_get_no_more_than_the_budget(server: Server) -> None:
    account = create_account(server.app)
    tokens = login(server.app.test_client(), account)
    replies = run_together(
        CONTENDERS,
        lambda n: server.request(
            "PATCH",
            f"/api/v1/users/{account.id}",
            body={"password": "A-Whole-New-Secret-77", "current_password": f"wrong-guess-{n}"},
            headers=tokens.headers,
        ),
    )
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [403] * BUDGET + [429] * (CONTENDERS - BUDGET)


def test_login_and_current_password_draw_on_one_budget(server: Server) -> None:
    account: Account = create_account(server.app)
    tokens = login(server.app.test_client(), account)
    half = BUDGET // 2
    for n in range(half):
        wrong = server.request(
            "POST", "/api/v1/auth/login", body={"email": account.email, "password": f"wrong-{n}"}
        )
        assert wrong.status == 401
    for n in range(BUDGET - half):
        patch = server.request(
            "PATCH",
            f"/api/v1/users/{account.id}",
            body={"password": "A-Whole-New-Secret-77", "current_password": f"wrong-{n}"},
            headers=tokens.headers,
        )
        assert patch.status == 403
    right = server.request(
        "POST", "/api/v1/auth/login", body={"email": account.email, "password": account.password}
    )
    assert (right.status, right.code) == (429, "rate_limited")
