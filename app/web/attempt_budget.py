"""The password budgets on the rate-limit storage: shared through Redis, per process when Redis is
down or too slow to answer (it follows the limiter's own fallback), keyed by keyed hashes only.

A fixed window counted with one atomic INCR: the attempt is taken before the password check, so
parallel requests cannot all pass a test that only one of them should, and given back on success.
A storage failure of any kind (refused connection, timeout) is never the caller's error: the
attempt is counted in this process instead, as the limiter does for its own limits.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask_limiter import Limiter
from limits import parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from app.domain.attempts import TooManyAttempts
from app.domain.emails import normalize_email

log = logging.getLogger("keel.rate_limits")

T = TypeVar("T")

_SCOPE = "password-attempts"
_DEVICE_SCOPE = "device-attempts"
_SESSION_SCOPE = "session-attempts"


class _FixedWindowBudget:
    def __init__(self, limiter: Limiter, *, limit: str, secret: bytes, enabled: bool, purpose: str) -> None:
        self._limiter = limiter
        self._item = parse(limit)
        # Domain separation: the signing key never hashes addresses directly, and two budgets
        # (login guesses, reset mails, devices, sessions) never count in each other's keys.
        self._key = hmac.new(secret, f"keel {purpose}".encode(), hashlib.sha256).digest()
        self._enabled = enabled
        self._local = MemoryStorage()

    def _on_storage(self, action: Callable[[Storage], T]) -> T:
        """`action` on the limiter's storage, or on this process's counters when that storage fails."""
        storage = self._storage()
        try:
            return action(storage)
        except storage.base_exceptions:
            # The limiter has not noticed the outage yet (it checks before the view); count here.
            log.warning("attempt budget storage unreachable: counting in this process")
            return action(self._local)

    def _hit(self, storage: Storage, identifier: str) -> None:
        strategy = FixedWindowRateLimiter(storage)
        if not strategy.hit(self._item, identifier):
            reset_at = strategy.get_window_stats(self._item, identifier).reset_time
            raise TooManyAttempts(retry_after_seconds=max(1, math.ceil(reset_at - time.time())))

    def _give_back(self, storage: Storage, identifier: str) -> None:
        storage.incr(self._item.key_for(identifier), self._item.get_expiry(), amount=-1)

    def _forget(self, identifier: str) -> None:
        key = self._item.key_for(identifier)
        self._on_storage(lambda storage: storage.clear(key))
        self._local.clear(key)

    def _storage(self) -> Storage:
        """The limiter's current storage: Redis, or its in-memory fallback while Redis is down."""
        storage: Storage = self._limiter.limiter.storage
        return storage

    def _digest(self, *parts: str) -> str:
        return hmac.new(self._key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


class LimiterAttemptBudget(_FixedWindowBudget):
    """One budget per account, whoever spends it."""

    def __init__(
        self, limiter: Limiter, *, limit: str, secret: bytes, enabled: bool, purpose: str = "attempt budget"
    ) -> None:
        super().__init__(limiter, limit=limit, secret=secret, enabled=enabled, purpose=purpose)

    def spend(self, account: str) -> None:
        if self._enabled:
            identifier = self._account_key(account)
            self._on_storage(lambda storage: self._hit(storage, identifier))

    def refund(self, account: str) -> None:
        if self._enabled:
            identifier = self._account_key(account)
            self._on_storage(lambda storage: self._give_back(storage, identifier))

    def clear(self, account: str) -> None:
        if self._enabled:
            self._forget(self._account_key(account))

    def _account_key(self, account: str) -> str:
        return f"{_SCOPE}:{self._digest(normalize_email(account))}"


class _PerClientBudget(_FixedWindowBudget):
    """One budget per client (a known device, a signed-in session) of an account.

    Clients cannot be listed, so clearing an account's budgets moves it to a new generation: every
    client key names the account's generation, and the old keys are never read again. A generation
    outlives every counter of the one before it (it lasts a window from its last bump), so when it
    lapses back to zero no counter of generation zero is still alive.
    """

    # Each kind of client counts under its own purpose and key prefix.
    _purpose: str
    _scope: str

    def __init__(self, limiter: Limiter, *, limit: str, secret: bytes, enabled: bool) -> None:
        super().__init__(limiter, limit=limit, secret=secret, enabled=enabled, purpose=self._purpose)

    def spend(self, account: str, client: str) -> None:
        if self._enabled:
            self._on_storage(lambda storage: self._hit(storage, self._client_key(storage, account, client)))

    def refund(self, account: str, client: str) -> None:
        if self._enabled:
            self._on_storage(
                lambda storage: self._give_back(storage, self._client_key(storage, account, client))
            )

    def clear(self, account: str) -> None:
        if self._enabled:
            generation = self._generation_key(account)
            expiry = self._item.get_expiry()
            self._on_storage(lambda storage: storage.incr(generation, expiry))
            self._local.incr(generation, expiry)

    def _client_key(self, storage: Storage, account: str, client: str) -> str:
        generation = storage.get(self._generation_key(account))
        return f"{self._scope}:{self._digest(normalize_email(account), str(generation), client)}"

    def _generation_key(self, account: str) -> str:
        return f"{self._scope}-generation:{self._digest(normalize_email(account))}"


class LimiterDeviceBudget(_PerClientBudget):
    """One budget per known device of an account (its login's password checks)."""

    _purpose = "device attempts"
    _scope = _DEVICE_SCOPE


class LimiterSessionBudget(_PerClientBudget):
    """One budget per signed-in session of an account (its `current_password` checks)."""

    _purpose = "session attempts"
    _scope = _SESSION_SCOPE
