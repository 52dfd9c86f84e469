"""Dependency checks for readiness, run side by side and bounded in time, so a hanging
dependency cannot stall /ready (nor pile up threads: one probe per dependency at a time)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import sqlalchemy as sa

CHECK_TIMEOUT_SECONDS = 1.5

_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="keel-ready")
_inflight: dict[str, Future[None]] = {}
_lock = threading.Lock()


def _start(name: str, check: Callable[[], None]) -> Future[None]:
    with _lock:
        future = _inflight.get(name)
        if future is None or future.done():
            future = _executor.submit(check)
            _inflight[name] = future
        return future


def run_all(
    checks: Mapping[str, Callable[[], None]], timeout: float = CHECK_TIMEOUT_SECONDS
) -> dict[str, bool]:
    """Run every check concurrently; whatever has not answered by the deadline has failed."""
    futures = {name: _start(name, check) for name, check in checks.items()}
    deadline = time.monotonic() + timeout
    results: dict[str, bool] = {}
    for name, future in futures.items():
        try:
            future.result(timeout=max(0.0, deadline - time.monotonic()))
        except (FutureTimeout, Exception):
            results[name] = False
        else:
            results[name] = True
    return results


def ping_database(engine: sa.Engine) -> Callable[[], None]:
    def check() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    return check
