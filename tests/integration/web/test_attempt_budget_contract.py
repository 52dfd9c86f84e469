"""The per-account attempt budget, one contract for the fake the service tests use and the real budget on
the limiter's storage (in memory, and on Redis): a fixed allowance, refunds, one bucket per account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.composition import container
from app.domain.attempts import AttemptBudget, TooManyAttempts
from tests.fakes import FakeAttemptBudget

LIMIT = 3
DEVICE_LIMIT = 2
EMAIL = "Erin.Budget@Example.com"


@pytest.fixture
def app_overrides(limiter_storage: dict[str, str]) -> dict[str, Any]:
    return {
        **limiter_storage,
        "RATELIMIT_LOGIN_EMAIL": f"{LIMIT} per minute",
        "RATELIMIT_LOGIN_DEVICE": f"{DEVICE_LIMIT} per minute",
    }


@pytest.fixture(params=["limiter", "fake"])
def budget(request: pytest.FixtureRequest, app: Flask) -> Iterator[AttemptBudget]:
    if request.param == "fake":
        yield FakeAttemptBudget(limit=LIMIT, window_seconds=60)
        return
    with app.app_context():
        yield container().attempts


def spend_all(budget: AttemptBudget, account: str = EMAIL) -> None:
    for _ in range(LIMIT):
        budget.spend(account)


def test_the_allowance_is_spent_then_refused_with_a_retry_time(budget: AttemptBudget) -> None:
    spend_all(budget)
    with pytest.raises(TooManyAttempts) as refused:
        budget.spend(EMAIL)
    assert 1 <= refused.value.retry_after_seconds <= 60


def test_a_refund_gives_exactly_one_attempt_back(budget: AttemptBudget) -> None:
    spend_all(budget)
    budget.refund(EMAIL)
    budget.spend(EMAIL)
    with pytest.raises(TooManyAttempts):
        budget.spend(EMAIL)


def test_spelling_variants_of_one_address_share_one_budget(budget: AttemptBudget) -> None:
    for variant in (EMAIL, EMAIL.upper(), f"  {EMAIL.lower()}\t"):
        budget.spend(variant)
    with pytest.raises(TooManyAttempts):
        budget.spend(EMAIL)


def test_accounts_have_budgets_of_their_own(budget: AttemptBudget) -> None:
    spend_all(budget)
    budget.spend("someone.else@example.com")


def test_no_address_reaches_the_storage_keys(app: Flask, limiter_storage: dict[str, str]) -> None:
    with app.app_context():
        budget = container().attempts
        budget.spend(EMAIL)
        storage = container().limiter.limiter.storage
    if "REDIS_URL" in limiter_storage:
        import redis

        keys = [key.decode() for key in redis.Redis.from_url(limiter_storage["REDIS_URL"]).keys("*")]
    else:
        keys = list(storage.storage)  # type: ignore[attr-defined]
    assert any("password-attempts" in key for key in keys)
    assert not any("erin" in key.lower() or "example" in key.lower() for key in keys)


def test_clear_forgets_every_attempt_of_the_account_only(budget: AttemptBudget) -> None:
    spend_all(budget)
    spend_all(budget, "someone.else@example.com")
    budget.clear(EMAIL.upper())
    spend_all(budget)
    with pytest.raises(TooManyAttempts):
        budget.spend("someone.else@example.com")


def test_a_device_budget_is_per_device_and_cleared_per_account(app: Flask) -> None:
    with app.app_context():
        devices = container().device_attempts
        for _ in range(DEVICE_LIMIT):
            devices.spend(EMAIL, "device-a")
        with pytest.raises(TooManyAttempts):
            devices.spend(EMAIL, "device-a")
        devices.spend(EMAIL, "device-b")
        devices.spend("someone.else@example.com", "device-a")
        devices.clear(EMAIL)
        for _ in range(DEVICE_LIMIT):
            devices.spend(EMAIL, "device-a")
        with pytest.raises(TooManyAttempts):
            devices.spend(EMAIL, "device-a")
