"""The rate-limit storage on a private Redis that freezes and thaws: calls never raise, an outage
costs one timeout, then per-process counting, and Redis takes over again once it answers."""

from __future__ import annotations

import time

from app.web.limit_storage import FailoverStorage
from tests.integration.web.conftest import STORAGE_TIMEOUT
from tests.support.concurrency import run_together
from tests.support.redis_server import RedisServer


def test_calls_racing_a_freeze_all_count_and_none_raises(
    redis_server: RedisServer, storage: FailoverStorage
) -> None:
    assert storage.acquire_entry("k", 100, 60)
    redis_server.freeze()
    answers = run_together(8, lambda _: storage.acquire_entry("k", 100, 60))
    assert answers == [True] * 8
    assert storage.is_down
    assert storage.local.get_moving_window("k", 100, 60)[1] == 8
    started = time.monotonic()
    assert storage.incr("budget", 60) == 1
    assert time.monotonic() - started < STORAGE_TIMEOUT  # while down, Redis is not waited on again
    assert storage.check() is False


def test_redis_takes_over_again_once_it_answers(redis_server: RedisServer, storage: FailoverStorage) -> None:
    redis_server.freeze()
    storage.incr("budget", 60)
    assert storage.is_down
    redis_server.thaw()
    deadline = time.monotonic() + 5
    while storage.is_down and time.monotonic() < deadline:
        storage.incr("budget", 60)
        time.sleep(0.1)
    assert not storage.is_down
    assert any(b"budget" in key for key in redis_server.stored_keys())
