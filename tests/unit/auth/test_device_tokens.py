"""Device tokens without HTTP: bound to one account, signed under their own key, expiring."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.auth.device_tokens import DeviceTokens
from app.domain.attempts import LoginBudgets, TooManyAttempts
from tests.fakes import FakeAttemptBudget, FakeClock, FakeSessionBudget

SECRET = "a-test-signing-key-that-is-long-enough-for-hs256"
ACCOUNT = "Ada@Example.com"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tokens(clock: FakeClock) -> DeviceTokens:
    return DeviceTokens(SECRET, ttl=timedelta(days=365), clock=clock)


def test_a_token_names_a_device_of_its_own_account_only(tokens: DeviceTokens) -> None:
    token = tokens.issue(ACCOUNT).value
    device = tokens.recognise(" ada@example.COM ", [token])
    assert device is not None
    assert device in token
    assert tokens.recognise("someone.else@example.com", [token]) is None


def test_each_sign_in_gets_another_device_id(tokens: DeviceTokens) -> None:
    first, second = tokens.issue(ACCOUNT).value, tokens.issue(ACCOUNT).value
    assert tokens.recognise(ACCOUNT, [first]) != tokens.recognise(ACCOUNT, [second])


def test_an_expired_token_is_no_device(tokens: DeviceTokens, clock: FakeClock) -> None:
    token = tokens.issue(ACCOUNT)
    assert token.expires_in == 365 * 86400
    clock.advance(timedelta(days=365, seconds=1))
    assert tokens.recognise(ACCOUNT, [token.value]) is None


def test_a_token_under_another_key_or_altered_is_no_device(tokens: DeviceTokens, clock: FakeClock) -> None:
    foreign = DeviceTokens("another-signing-key-that-is-long-enough-too", ttl=timedelta(days=1), clock=clock)
    real = tokens.issue(ACCOUNT).value
    version, device, expires, mac = real.split(".")
    for forged in (
        foreign.issue(ACCOUNT).value,
        f"{version}.{device}.{int(expires) + 86400}.{mac}",
        f"{version}.{device[::-1]}.{expires}.{mac}",
        real + "x",
        "",
        "x" * 10_000,
    ):
        assert tokens.recognise(ACCOUNT, [forged]) is None


def test_the_first_valid_presented_token_counts(tokens: DeviceTokens) -> None:
    real = tokens.issue(ACCOUNT).value
    assert tokens.recognise(ACCOUNT, [None, "garbage", real]) == real.split(".")[1]


class FakeDeviceBudget:
    def __init__(self) -> None:
        self.devices = FakeAttemptBudget(limit=1)

    def spend(self, account: str, device: str) -> None:
        self.devices.spend(f"{account}/{device}")

    def refund(self, account: str, device: str) -> None:
        self.devices.refund(f"{account}/{device}")

    def clear(self, account: str) -> None:
        self.devices.spent = {k: v for k, v in self.devices.spent.items() if not k.startswith(f"{account}/")}


def test_a_known_device_never_draws_on_the_shared_budget() -> None:
    shared, devices = FakeAttemptBudget(limit=1), FakeDeviceBudget()
    budgets = LoginBudgets(shared, devices)
    budgets.spend("ada@example.com", None)
    with pytest.raises(TooManyAttempts):
        budgets.spend("ada@example.com", None)
    budgets.spend("ada@example.com", "device-1")
    with pytest.raises(TooManyAttempts):
        budgets.spend("ada@example.com", "device-1")
    budgets.clear("ada@example.com")
    budgets.spend("ada@example.com", None)
    budgets.spend("ada@example.com", "device-1")


def test_clearing_an_account_forgets_the_budgets_of_its_sessions_too() -> None:
    sessions = FakeSessionBudget(limit=1)
    budgets = LoginBudgets(FakeAttemptBudget(limit=1), FakeDeviceBudget(), sessions)
    sessions.spend("ada@example.com", "session-1")
    sessions.spend("grace@example.com", "session-2")
    budgets.clear("ada@example.com")
    sessions.spend("ada@example.com", "session-1")
    with pytest.raises(TooManyAttempts):
        sessions.spend("grace@example.com", "session-2")
