"""gunicorn as shipped takes no path and no scheme from request headers, not even from a trusted proxy,
and the app believes X-Forwarded-For only from the proxies FORWARDED_ALLOW_IPS names."""

from __future__ import annotations

import uuid
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


PASSWORD = "plum-orbit-lantern-42"


def forwarded_for(value: str) -> dict[str, str]:
    return {"X-Forwarded-For": value}


@pytest.mark.parametrize("forged", ["<script>alert(1)</script>", "203.0.113.7" + "0" * 60, "not-an-address"])
def test_a_forwarded_value_that_is_no_address_leaves_the_proxy_as_the_client(
    instance: Instance, forged: str
) -> None:
    """Through gunicorn, from a trusted proxy: no 500, no forged text in the log, the peer is the client."""
    email = f"fwd-{uuid.uuid4().hex[:10]}@example.com"
    account = {"email": email, "password": PASSWORD, "name": "Forwarded"}
    assert call(instance.port, "POST", "/api/v1/auth/register", account, forwarded_for(forged)).status == 201
    login = call(
        instance.port,
        "POST",
        "/api/v1/auth/login",
        {"email": email, "password": PASSWORD},
        forwarded_for(forged),
    )
    assert login.status == 200, login.body
    sessions = call(
        instance.port,
        "GET",
        "/api/v1/auth/sessions",
        headers={"Authorization": f"Bearer {login.json()['access_token']}"},
    )
    assert [session["client_address"] for session in sessions.json()["items"]] == ["127.0.0.1"]
    logged = {line.get("client") for line in instance.access_lines()}
    assert forged not in logged
    assert "127.0.0.1" in logged


def test_a_forwarded_address_is_logged_in_its_normal_form(instance: Instance) -> None:
    call(instance.port, "GET", "/health", headers=forwarded_for("::FFFF:203.0.113.9"))
    assert instance.access_lines()[-1]["client"] == "203.0.113.9"


def test_a_new_forged_value_per_login_still_meets_the_address_limit(instance: Instance) -> None:
    """RATELIMIT_LOGIN_IP (30 per minute) counts the proxy's address, whatever the value says.

    Last in this module: it spends the loopback client's login budget."""
    batch = uuid.uuid4().hex[:8]
    statuses = [
        call(
            instance.port,
            "POST",
            "/api/v1/auth/login",
            # A new email each time: only the per-address limit can refuse these, not an account's budget.
            {"email": f"nobody-{n}-{batch}@example.com", "password": PASSWORD},
            forwarded_for(f"client-{n}"),
        ).status
        for n in range(40)
    ]
    assert statuses.count(429) >= 10
