"""Dependency checks for readiness, bounded in time so a hanging dependency cannot stall /ready."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import sqlalchemy as sa

CHECK_TIMEOUT_SECONDS = 1.5

_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="keel-ready")
_inflight: dict[str, Future[None]] = {}
_lock = threading.Lock()


def run_bounded(name: str, check: Callable[[], None], timeout: float = CHECK_TIMEOUT_SECONDS) -> bool:
    """Run `check` in the background; at most one probe per dependency is in flight at a time."""
    with _lock:
        future = _inflight.get(name)
        if future is None or future.done():
            future = _executor.submit(check)
            _inflight[name] = future
    try:
        future.result(timeout=timeout)
    except FutureTimeout:
        return False
    except Exception:
        return False
    return True


def ping_database(engine: sa.Engine) -> Callable[[], None]:
    def check() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    return check
