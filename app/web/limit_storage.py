"""Rate-limit storage that is Redis while Redis answers and this process's memory while it does not.

flask-limiter has an in-memory fallback of its own, but it switches per request and re-raises in
every request that was already waiting on Redis when another one made the switch (and in the
after-request that writes the X-RateLimit headers): a frozen Redis turned those into 500s. Here the
switch is made inside the storage, one call at a time, so nothing above it ever sees a storage
error: the limiter, the X-RateLimit headers and the attempt budgets all count on Redis or, during an
outage, per process. Redis is tried again after an exponential back-off (1 s doubling to 32 s), by
one call at a time, and takes over again as soon as it answers.

A moving-window hit on Redis is one round trip that also returns the window it left (oldest
entry, count), kept for the calling thread: the X-RateLimit headers flask-limiter writes after the
view read that window instead of asking Redis a second time. The headers then describe the window
as this request left it, not as later requests have changed it since.

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
# A kept window older than this is read again: it answers the headers of the request that hit.
_WINDOW_KEPT_SECONDS = 1.0

# limits' acquire_moving_window.lua, then its moving_window.lua on the same key, in one call.
_ACQUIRE_AND_WINDOW = """
local timestamp = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local expiry = tonumber(ARGV[3])
local amount = tonumber(ARGV[4])
local acquired = 0
if amount <= limit then
    local entry = redis.call('lindex', KEYS[1], limit - amount)
    if not (entry and tonumber(entry) >= timestamp - expiry) then
        local entries = {}
        for i = 1, amount do
            entries[i] = timestamp
        end
        for i = 1, #entries, 5000 do
            redis.call('lpush', KEYS[1], unpack(entries, i, math.min(i + 4999, #entries)))
        end
        redis.call('ltrim', KEYS[1], 0, limit - 1)
        redis.call('expire', KEYS[1], expiry)
        acquired = 1
    end
end
local target = timestamp - expiry
local low, high, found = 0, limit - 1, nil
while low <= high do
    local mid = math.floor((low + high) / 2)
    local value = tonumber(redis.call('lindex', KEYS[1], mid))
    if value and value >= target then
        found = mid
        low = mid + 1
    else
        high = mid - 1
    end
end
if found then
    return {acquired, tostring(tonumber(redis.call('lindex', KEYS[1], found))), found + 1}
end
return {acquired}
"""

T = TypeVar("T")
Backend = RedisStorage | MemoryStorage
Window = tuple[float, int]


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
        self._acquire_and_window = self.shared.get_connection().register_script(_ACQUIRE_AND_WINDOW.encode())
        self._windows = _KeptWindows()

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
        self._windows.forget()
        self._call(lambda storage: storage.clear(key))

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        self._windows.forget()
        return self._call(lambda storage: self._acquire(storage, key, limit, expiry, amount))

    def get_moving_window(self, key: str, limit: int, expiry: int) -> Window:
        kept = self._windows.take((key, limit, expiry))
        if kept is not None:
            return kept
        return self._call(lambda storage: storage.get_moving_window(key, limit, expiry))

    def _acquire(self, storage: Backend, key: str, limit: int, expiry: int, amount: int) -> bool:
        if storage is self.local:
            return self.local.acquire_entry(key, limit, expiry, amount=amount)
        now = time.time()
        reply = self._acquire_and_window([self.shared.prefixed_key(key)], [now, limit, expiry, amount])
        window = (float(reply[1]), int(reply[2])) if len(reply) == 3 else (now, 0)
        self._windows.keep((key, limit, expiry), window)
        return bool(reply[0])

    def check(self) -> bool:
        """Whether Redis answers (the readiness probe): the fallback does not make it healthy."""
        return self.shared.check()

    def reset(self) -> int | None:
        self._windows.forget()
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


class _KeptWindows(threading.local):
    """The window the calling thread's last moving-window hit left, until its headers read it."""

    def __init__(self) -> None:
        self.kept: tuple[tuple[str, int, int], Window, float] | None = None

    def keep(self, limit: tuple[str, int, int], window: Window) -> None:
        self.kept = (limit, window, time.monotonic())

    def take(self, limit: tuple[str, int, int]) -> Window | None:
        kept, self.kept = self.kept, None
        if kept is None or kept[0] != limit or time.monotonic() - kept[2] > _WINDOW_KEPT_SECONDS:
            return None
        return kept[1]

    def forget(self) -> None:
        self.kept = None
