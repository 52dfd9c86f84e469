"""Redis going away mid-flight: still served, login still throttled, one error line, back by itself."""

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import databases
from tests.support.accounts import DEFAULT_PASSWORD, Account, unique_email
from tests.support.logs import ProductionLog
from tests.support.redis_server import RedisServer

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def log_lines(production_log: ProductionLog) -> ProductionLog:
    return production_log


def _app(app: Flask, redis_url: str) -> Flask:
    return databases.make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        {
            "RATELIMIT_ENABLED": "true",
            "REDIS_URL": redis_url,
            "RATELIMIT_LOGIN_EMAIL": "3 per minute",
            "REDIS_TIMEOUT_SECONDS": "0.3",
        },
    )


def _fail_login(client: FlaskClient, account: Account, n: int) -> int:
    response = client.post(
        LOGIN,
        json={"email": account.email, "password": "wrong-password"},
        environ_base={"REMOTE_ADDR": f"192.0.2.{n}"},
    )
    return response.status_code


def _outage_lines(log: ProductionLog) -> list[dict[str, object]]:
    return [line for line in log.records() if "rate limit storage unreachable" in str(line.get("message"))]


def test_redis_outage_keeps_serving_and_throttling(
    app: Flask, user: Account, redis_server: RedisServer, log_lines: ProductionLog
) -> None:
    limited = _app(app, redis_server.url)
    client = limited.test_client()
    assert client.get("/ready").get_json()["checks"]["redis"] == "ok"
    assert _fail_login(client, user, 1) == 401
    assert any(b"password-attempts" in key for key in redis_server.stored_keys())

    redis_server.stop()

    statuses = [_fail_login(client, user, n) for n in range(2, 8)]
    assert 500 not in statuses
    assert statuses[:3] == [401, 401, 401]
    assert set(statuses[3:]) == {429}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "redis": "degraded", "signing_key": "ok"}
    assert client.get("/api/v1/users/me").status_code == 401

    outages = _outage_lines(log_lines)
    assert len(outages) == 1
    assert outages[0]["level"] == "ERROR"
    databases.dispose(limited)


def test_shared_limits_resume_when_redis_returns(
    app: Flask, user: Account, redis_server: RedisServer, log_lines: ProductionLog
) -> None:
    limited = _app(app, redis_server.url)
    client = limited.test_client()
    redis_server.stop()
    assert client.get("/api/v1/users/me").status_code == 401
    redis_server.start()

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not redis_server.stored_keys():
        client.get("/api/v1/users/me")
        time.sleep(0.2)
    assert redis_server.stored_keys(), "limits never moved back to Redis"
    assert client.get("/ready").get_json()["checks"]["redis"] == "ok"
    assert "recovered" in log_lines.text
    databases.dispose(limited)


def test_hanging_redis_costs_a_timeout_not_a_stall(app: Flask, user: Account, hanging_server: int) -> None:
    limited = _app(app, f"redis://127.0.0.1:{hanging_server}/0")
    client = limited.test_client()
    started = time.monotonic()
    statuses = [_fail_login(client, user, n) for n in range(1, 6)]
    elapsed = time.monotonic() - started
    assert statuses == [401, 401, 401, 429, 429]
    assert elapsed < 5  # one short Redis timeout, then per-process limits; never the 5 x 30 s of a stall
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["redis"] == "degraded"
    databases.dispose(limited)


def test_an_idempotency_key_needs_its_store_and_a_request_without_one_does_not(
    app: Flask, redis_server: RedisServer
) -> None:
    """Keys live in Redis when it is configured: with Redis gone, a keyed request cannot be made
    safe, so it is refused with 503 and Retry-After before anything acts; an unkeyed one is served."""
    keyed = _app(app, redis_server.url)
    client = keyed.test_client()
    redis_server.stop()
    body = {"email": unique_email("outage"), "password": DEFAULT_PASSWORD, "name": "Outage"}

    refused = client.post("/api/v1/auth/register", json=body, headers={"Idempotency-Key": "k-1"})
    assert refused.status_code == 503
    assert refused.content_type == "application/problem+json"
    assert refused.get_json()["code"] == "service_unavailable"
    assert int(refused.headers["Retry-After"]) >= 1

    served = client.post("/api/v1/auth/register", json=body)
    assert served.status_code == 201
    databases.dispose(keyed)
