"""Rate-limit storage that is Redis while Redis answers and this process's memory while it does not.

flask-limiter has an in-memory fallback of its own, but it switches per request and re-raises in
every request that was already waiting on Redis when another one made the switch (and in the
after-request that writes the X-RateLimit headers): a frozen Redis turned those into 500s. Here the
switch is made inside the storage, one call at a time, so nothing above it ever sees a storage
error: the limiter, the X-RateLimit headers and the attempt budgets all count on Redis or, during an
outage, per process. Redis is tried again after an exponential back-off (1 s doubling to 32 s), by
one call at a time, and takes over again as soon as it answers.

The scheme is `keel+redis://` (or `keel+rediss://`): limits builds it from the storage URI.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from limits.storage import MemoryStorage, MovingWindowSupport, RedisStorage, Storage

log = logging.getLogger("keel.rate_limits")

SCHEME_PREFIX = "keel+"
_FIRST_RETRY_SECONDS = 1.0
_LAST_RETRY_SECONDS = 32.0

T = TypeVar("T")
Backend = RedisStorage | MemoryStorage


def failover_uri(redis_url: str) -> str:
    return SCHEME_PREFIX + redis_url


class FailoverStorage(Storage, MovingWindowSupport):
    STORAGE_SCHEME = ["keel+redis", "keel+rediss"]  # noqa: RUF012 - limits registers schemes from this list

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.shared = RedisStorage(uri.removeprefix(SCHEME_PREFIX), **options)
        self.local = MemoryStorage()
        self._lock = threading.Lock()
        self._down = False
        self._next_try = 0.0
        self._wait = _FIRST_RETRY_SECONDS

    @property
    def storage(self) -> Any:
        """The Redis client (what code that closes the limiter's connections looks for)."""
        return self.shared.storage

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return self.shared.base_exceptions

    @property
    def is_down(self) -> bool:
        return self._down

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._call(lambda storage: storage.incr(key, expiry, amount=amount))

    def get(self, key: str) -> int:
        return self._call(lambda storage: storage.get(key))

    def get_expiry(self, key: str) -> float:
        return self._call(lambda storage: storage.get_expiry(key))

    def clear(self, key: str) -> None:
        self._call(lambda storage: storage.clear(key))

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        return self._call(lambda storage: storage.acquire_entry(key, limit, expiry, amount=amount))

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        return self._call(lambda storage: storage.get_moving_window(key, limit, expiry))

    def check(self) -> bool:
        """Whether Redis answers (the readiness probe): the fallback does not make it healthy."""
        return self.shared.check()

    def reset(self) -> int | None:
        self.local.reset()
        return self._call(lambda storage: storage.reset())

    def _call(self, operation: Callable[[Backend], T]) -> T:
        if self._try_shared():
            try:
                result = operation(self.shared)
            except self.shared.base_exceptions as error:
                self._failed(error)
            else:
                self._answered()
                return result
        return operation(self.local)

    def _try_shared(self) -> bool:
        """Always while Redis is up; while it is down, one call once its back-off has passed."""
        if not self._down:
            return True
        with self._lock:
            now = time.monotonic()
            if now < self._next_try:
                return False
            self._next_try = now + self._wait
            self._wait = min(self._wait * 2, _LAST_RETRY_SECONDS)
            return True

    def _failed(self, error: Exception) -> None:
        with self._lock:
            if self._down:
                return
            self._down = True
            self._next_try = time.monotonic() + _FIRST_RETRY_SECONDS
            self._wait = _FIRST_RETRY_SECONDS * 2
        log.error("rate limit storage unreachable: using per-process limits (%s)", type(error).__name__)

    def _answered(self) -> None:
        if not self._down:
            return
        with self._lock:
            if not self._down:
                return
            self._down = False
            self._wait = _FIRST_RETRY_SECONDS
        log.warning("rate limit storage recovered: limits shared again")
