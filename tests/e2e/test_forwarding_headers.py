"""gunicorn as shipped takes no path and no scheme from request headers, not even from a trusted proxy,
and the app believes X-Forwarded-For only from the proxies FORWARDED_ALLOW_IPS names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.stack import Instance, app_environment, call
from tests.support.redis_server import RedisServer, free_port


@pytest.fixture(scope="module")
def instance(workdir: Path, e2e_database: str, e2e_redis: RedisServer) -> Iterator[Instance]:
    # TRUSTED_PROXIES=1 and the default FORWARDED_ALLOW_IPS: the test, on loopback, is a trusted proxy.
    running = Instance("forwarding", free_port(), workdir, app_environment(e2e_database, e2e_redis.url))
    running.start()
    yield running
    running.stop()


@pytest.mark.parametrize("path", ["/metrics", "/api/v1/users/me", "/health"])
def test_a_script_name_header_moves_no_route(instance: Instance, path: str) -> None:
    plain = call(instance.port, "GET", path)
    moved = call(
        instance.port, "GET", path, headers={"SCRIPT_NAME": "/elsewhere", "Script-Name": "/elsewhere"}
    )
    assert moved.status == plain.status
    assert moved.headers["content-type"] == plain.headers["content-type"]
    assert "text/html" not in moved.headers["content-type"]


def test_a_script_name_header_does_not_reach_metrics_under_another_path(instance: Instance) -> None:
    reply = call(instance.port, "GET", "/elsewhere/metrics", headers={"SCRIPT_NAME": "/elsewhere"})
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/problem+json"


def test_a_path_info_header_changes_nothing(instance: Instance) -> None:
    reply = call(instance.port, "GET", "/health", headers={"PATH_INFO": "/metrics"})
    assert reply.status == 200
    assert reply.json() == {"status": "ok"}


def test_scheme_headers_from_the_client_are_not_believed_by_gunicorn(instance: Instance) -> None:
    reply = call(
        instance.port, "GET", "/health", headers={"X-Forwarded-Ssl": "on", "X-Forwarded-Proto": "https"}
    )
    assert reply.status == 200
