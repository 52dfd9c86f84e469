"""The rate-limit storage under test, on the test's private Redis with a short socket timeout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.web.limit_storage import FailoverStorage, failover_uri
from tests.support.redis_server import RedisServer

# Short enough that a frozen Redis costs a test a fraction of a second, long enough for loopback.
STORAGE_TIMEOUT = 0.3


@pytest.fixture
def storage(redis_server: RedisServer) -> Iterator[FailoverStorage]:
    built = FailoverStorage(
        failover_uri(redis_server.url),
        socket_timeout=STORAGE_TIMEOUT,
        socket_connect_timeout=STORAGE_TIMEOUT,
    )
    yield built
    built.storage.close()
