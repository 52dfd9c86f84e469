"""A moving-window hit on Redis returns the window it leaves, so a request's X-RateLimit headers
cost no second round trip: the same answers as limits' own Redis storage, one Redis call per hit
and header read, and each thread reads the window its own hit left."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis
from limits.storage import RedisStorage

from app.web.limit_storage import FailoverStorage
from tests.support.concurrency import run_together
from tests.support.redis_server import RedisServer

LIMIT, EXPIRY = 3, 60
# Every moving-window call is a script; the commands a script runs count in commandstats too.
SCRIPT_CALLS = ("cmdstat_evalsha", "cmdstat_eval")


@pytest.fixture
def stock(redis_server: RedisServer) -> Iterator[RedisStorage]:
    built = RedisStorage(redis_server.url)
    yield built
    built.storage.close()


def scripts_run(client: redis.Redis) -> int:
    """Round trips that ran a rate-limit script since the server's statistics were reset."""
    stats = client.info("commandstats")
    return sum(int(stats[name]["calls"]) for name in SCRIPT_CALLS if name in stats)


def test_hits_answer_as_limits_own_redis_storage(storage: FailoverStorage, stock: RedisStorage) -> None:
    ours = [storage.acquire_entry("ours", LIMIT, EXPIRY) for _ in range(LIMIT + 2)]
    theirs = [stock.acquire_entry("theirs", LIMIT, EXPIRY) for _ in range(LIMIT + 2)]
    assert ours == theirs == [True] * LIMIT + [False] * 2
    assert (
        storage.get_moving_window("ours", LIMIT, EXPIRY)[1]
        == stock.get_moving_window("theirs", LIMIT, EXPIRY)[1]
    )


def test_the_window_a_hit_returns_is_the_one_redis_holds(storage: FailoverStorage) -> None:
    for expected in range(1, LIMIT + 2):
        storage.acquire_entry("k", LIMIT, EXPIRY)
        kept = storage.get_moving_window("k", LIMIT, EXPIRY)
        assert kept == storage.shared.get_moving_window("k", LIMIT, EXPIRY)
        assert kept[1] == min(expected, LIMIT)


def test_a_hit_and_its_headers_cost_one_redis_call(
    redis_server: RedisServer, storage: FailoverStorage
) -> None:
    client = redis.Redis.from_url(redis_server.url)
    try:
        storage.acquire_entry("k", 100, EXPIRY)  # loads the hit's script once
        storage.get_moving_window("k", 100, EXPIRY)
        storage.get_moving_window("k", 100, EXPIRY)  # and limits' window script
        client.config_resetstat()
        for _ in range(5):
            storage.acquire_entry("k", 100, EXPIRY)
            storage.get_moving_window("k", 100, EXPIRY)
        assert scripts_run(client) == 5
        # A window no hit of this thread left (or one already read) is read from Redis.
        client.config_resetstat()
        storage.get_moving_window("k", 100, EXPIRY)
        storage.get_moving_window("other", 100, EXPIRY)
        assert scripts_run(client) == 2
    finally:
        client.close()


def test_each_thread_reads_the_window_its_own_hit_left(storage: FailoverStorage) -> None:
    contenders = 8
    all_hit = threading.Barrier(contenders)

    def hit_then_read(_: int) -> int:
        assert storage.acquire_entry("shared", 100, EXPIRY)
        all_hit.wait(timeout=10)
        return storage.get_moving_window("shared", 100, EXPIRY)[1]

    counts = run_together(contenders, hit_then_read)
    assert sorted(counts) == list(range(1, contenders + 1))


def test_while_redis_is_down_the_window_comes_from_process_memory(
    redis_server: RedisServer, storage: FailoverStorage
) -> None:
    redis_server.freeze()
    try:
        assert storage.acquire_entry("k", LIMIT, EXPIRY) is True
        assert storage.get_moving_window("k", LIMIT, EXPIRY)[1] == 1
        assert storage.is_down
    finally:
        redis_server.thaw()
