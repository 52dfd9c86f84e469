"""The password budgets hold under real concurrent requests, in memory and on Redis: however many guesses
arrive at once, no more than the budget reach a password check. Each test counts the checks that ran
(the app's real argon2 hasher, wrapped to count its verifications), not only the answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask

from app.composition import container, install
from app.domain.passwords import PasswordHasher
from tests.support.accounts import Account, create_account, login
from tests.support.concurrency import Server, run_together, serve

BUDGET = 10
DEVICE_BUDGET = 4
# RATELIMIT_LOGIN_DEVICE also sizes the budget of each signed-in session (its current_password checks).
SESSION_BUDGET = DEVICE_BUDGET
CONTENDERS = 24


class CountingHasher:
    """The app's own hasher, counting the password checks that really ran; it decides nothing."""

    def __init__(self, real: PasswordHasher) -> None:
        self._real = real
        self._lock = threading.Lock()
        self.verifications = 0

    def hash(self, password: str) -> str:
        return self._real.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.verifications += 1
        return self._real.verify(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._real.needs_rehash(password_hash)

    def burn(self, password: str) -> None:
        self._real.burn(password)


@pytest.fixture
def app_overrides(limiter_storage: dict[str, str]) -> dict[str, Any]:
    return {
        **limiter_storage,
        "RATELIMIT_LOGIN_EMAIL": f"{BUDGET} per 15 minutes",
        "RATELIMIT_LOGIN_DEVICE": f"{DEVICE_BUDGET} per 15 minutes",
        "RATELIMIT_LOGIN_IP": "1000 per minute",
        "RATELIMIT_DEFAULT": "1000 per minute",
        "DB_POOL_SIZE": str(CONTENDERS + 4),
    }


@pytest.fixture
def hasher(committed_app: Flask) -> CountingHasher:
    with committed_app.app_context():
        built = container()
        counting = CountingHasher(built.hasher)
        install(committed_app, replace(built, hasher=counting))
    return counting


@pytest.fixture
def server(committed_app: Flask, hasher: CountingHasher) -> Iterator[Server]:
    with serve(committed_app) as running:
        yield running


def checks_during(hasher: CountingHasher, before: int) -> int:
    return hasher.verifications - before


def test_parallel_wrong_passwords_for_one_account_get_no_more_than_the_budget(
    server: Server, hasher: CountingHasher
) -> None:
    account = create_account(server.app)
    replies = run_together(
        CONTENDERS,
        lambda n: server.request(
            "POST", "/api/v1/auth/login", body={"email": account.email, "password": f"wrong-guess-{n}"}
        ),
    )
    assert hasher.verifications == BUDGET
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [401] * BUDGET + [429] * (CONTENDERS - BUDGET)
    assert {reply.code for reply in replies if reply.status == 429} == {"rate_limited"}
    assert all(int(reply.headers["Retry-After"]) >= 1 for reply in replies if reply.status == 429)


def test_parallel_wrong_passwords_from_one_device_get_no_more_than_its_budget(
    server: Server, hasher: CountingHasher
) -> None:
    account = create_account(server.app)
    device_token = server.login(account)["device_token"]
    before = hasher.verifications
    replies = run_together(
        CONTENDERS,
        lambda n: server.request(
            "POST",
            "/api/v1/auth/login",
            body={"email": account.email, "password": f"wrong-guess-{n}"},
            headers={"X-Device-Token": device_token},
        ),
    )
    assert checks_during(hasher, before) == DEVICE_BUDGET
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [401] * DEVICE_BUDGET + [429] * (CONTENDERS - DEVICE_BUDGET)
    # The device spent its own budget, not the account's shared one.
    assert server.login(account)["access_token"]


def test_a_flood_on_the_shared_budget_and_on_a_device_each_get_no_more_than_their_own(
    server: Server, hasher: CountingHasher
) -> None:
    account = create_account(server.app)
    device_token = server.login(account)["device_token"]
    before = hasher.verifications

    def guess(n: int) -> int:
        headers = {"X-Device-Token": device_token} if n % 2 else {}
        body = {"email": account.email, "password": f"wrong-guess-{n}"}
        return server.request("POST", "/api/v1/auth/login", body=body, headers=headers).status

    statuses = run_together(CONTENDERS, guess)
    assert checks_during(hasher, before) == BUDGET + DEVICE_BUDGET
    assert statuses.count(401) == BUDGET + DEVICE_BUDGET


def test_parallel_wrong_current_passwords_in_one_session_get_no_more_than_its_budget(
    server: Server, hasher: CountingHasher
) -> None:
    account = create_account(server.app)
    tokens = login(server.app.test_client(), account)
    before = hasher.verifications
    replies = run_together(
        CONTENDERS,
        lambda n: server.request(
            "PATCH",
            f"/api/v1/users/{account.id}",
            body={"password": "A-Whole-New-Secret-77", "current_password": f"wrong-guess-{n}"},
            headers=tokens.headers,
        ),
    )
    assert checks_during(hasher, before) == SESSION_BUDGET
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [403] * SESSION_BUDGET + [429] * (CONTENDERS - SESSION_BUDGET)
    assert {reply.code for reply in replies if reply.status == 429} == {"rate_limited"}

    # The session spent its own budget: another session of the account still changes the password.
    other = login(server.app.test_client(), account)
    right = server.request(
        "PATCH",
        f"/api/v1/users/{account.id}",
        body={"password": "A-Whole-New-Secret-77", "current_password": account.password},
        headers=other.headers,
    )
    assert right.status == 200, right.body


def test_a_flood_of_wrong_logins_leaves_the_sessions_current_password_budget_alone(
    server: Server, hasher: CountingHasher
) -> None:
    account: Account = create_account(server.app)
    tokens = login(server.app.test_client(), account)
    before = hasher.verifications
    logins = run_together(
        CONTENDERS,
        lambda n: (
            server.request(
                "POST", "/api/v1/auth/login", body={"email": account.email, "password": f"wrong-{n}"}
            ).status
        ),
    )
    assert sorted(logins) == [401] * BUDGET + [429] * (CONTENDERS - BUDGET)
    patches = run_together(
        CONTENDERS,
        lambda n: (
            server.request(
                "PATCH",
                f"/api/v1/users/{account.id}",
                body={"password": "A-Whole-New-Secret-77", "current_password": f"wrong-{n}"},
                headers=tokens.headers,
            ).status
        ),
    )
    assert sorted(patches) == [403] * SESSION_BUDGET + [429] * (CONTENDERS - SESSION_BUDGET)
    assert checks_during(hasher, before) == BUDGET + SESSION_BUDGET


def test_parallel_wrong_reauthentications_in_one_session_get_no_more_than_its_budget(
    server: Server, hasher: CountingHasher
) -> None:
    account = create_account(server.app)
    tokens = login(server.app.test_client(), account)
    before = hasher.verifications
    replies = run_together(
        CONTENDERS,
        lambda n: server.request(
            "POST",
            "/api/v1/auth/reauthenticate",
            body={"password": f"wrong-guess-{n}"},
            headers=tokens.headers,
        ),
    )
    assert checks_during(hasher, before) == SESSION_BUDGET
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [403] * SESSION_BUDGET + [429] * (CONTENDERS - SESSION_BUDGET)
    assert {reply.code for reply in replies if reply.status == 403} == {"invalid_current_password"}
    assert {reply.code for reply in replies if reply.status == 429} == {"rate_limited"}

    # Spent, the right password is refused unchecked too.
    right = server.request(
        "POST", "/api/v1/auth/reauthenticate", body={"password": account.password}, headers=tokens.headers
    )
    assert right.status == 429
    assert checks_during(hasher, before) == SESSION_BUDGET


def test_reauthentication_and_current_password_checks_of_one_session_share_its_budget(
    server: Server, hasher: CountingHasher
) -> None:
    account = create_account(server.app)
    tokens = login(server.app.test_client(), account)
    before = hasher.verifications

    def guess(n: int) -> int:
        if n % 2:
            body: dict[str, str] = {"password": f"wrong-{n}"}
            return server.request(
                "POST", "/api/v1/auth/reauthenticate", body=body, headers=tokens.headers
            ).status
        body = {"password": "A-Whole-New-Secret-77", "current_password": f"wrong-{n}"}
        return server.request(
            "PATCH", f"/api/v1/users/{account.id}", body=body, headers=tokens.headers
        ).status

    statuses = run_together(CONTENDERS, guess)
    assert checks_during(hasher, before) == SESSION_BUDGET
    assert sorted(statuses) == [403] * SESSION_BUDGET + [429] * (CONTENDERS - SESSION_BUDGET)
