"""The per-account password budget on the rate-limit storage: shared through Redis, per process
when Redis is down (it follows the limiter's own fallback), keyed by a keyed hash of the address.

A fixed window counted with one atomic INCR: the attempt is taken before the password check, so
parallel requests cannot all pass a test that only one of them should, and given back on success.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time

from flask_limiter import Limiter
from limits import parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from app.domain.attempts import TooManyAttempts
from app.domain.emails import normalize_email

log = logging.getLogger("keel.rate_limits")

_SCOPE = "password-attempts"


class LimiterAttemptBudget:
    def __init__(
        self, limiter: Limiter, *, limit: str, secret: bytes, enabled: bool, purpose: str = "attempt budget"
    ) -> None:
        self._limiter = limiter
        self._item = parse(limit)
        # Domain separation: the signing key never hashes addresses directly, and two budgets
        # (login guesses, reset mails) never count in each other's keys.
        self._key = hmac.new(secret, f"keel {purpose}".encode(), hashlib.sha256).digest()
        self._enabled = enabled
        self._local = MemoryStorage()

    def spend(self, account: str) -> None:
        if not self._enabled:
            return
        key = self._account_key(account)
        strategy = FixedWindowRateLimiter(self._storage())
        try:
            allowed = strategy.hit(self._item, key)
        except self._storage().base_exceptions:
            # The limiter has not noticed the outage yet (it checks before the view); count here.
            log.warning("attempt budget storage unreachable: counting in this process")
            strategy = FixedWindowRateLimiter(self._local)
            allowed = strategy.hit(self._item, key)
        if not allowed:
            reset_at = strategy.get_window_stats(self._item, key).reset_time
            raise TooManyAttempts(retry_after_seconds=math.ceil(reset_at - time.time()))

    def refund(self, account: str) -> None:
        if not self._enabled:
            return
        storage = self._storage()
        key = self._item.key_for(self._account_key(account))
        try:
            storage.incr(key, self._item.get_expiry(), amount=-1)
        except storage.base_exceptions:
            self._local.incr(key, self._item.get_expiry(), amount=-1)

    def _storage(self) -> Storage:
        """The limiter's current storage: Redis, or its in-memory fallback while Redis is down."""
        storage: Storage = self._limiter.limiter.storage
        return storage

    def _account_key(self, account: str) -> str:
        digest = hmac.new(self._key, normalize_email(account).encode(), hashlib.sha256).hexdigest()
        return f"{_SCOPE}:{digest[:32]}"
