"""Redis frozen (SIGSTOP) under eight concurrent clients, then thawed: every answer is served (rate
limits and attempt budgets counted per process meanwhile) or, for a request carrying an
Idempotency-Key, refused with 503 and Retry-After before anything acted; never a 500. Every accepted
password reset is in the outbox, and in the job queue: sent after its commit, or, when that send
timed out on the frozen Redis, by the worker's sweep later.

The Redis server is a private one of this test's own."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from dramatiq import Message
from flask import Flask

from app.auth.password_reset import RESET_REQUESTED
from app.composition import container
from app.extensions import db
from app.jobs.queue import QUEUE
from tests.support.accounts import DEFAULT_PASSWORD, create_account
from tests.support.concurrency import serve
from tests.support.load import Answer, Load, send, unexpected
from tests.support.logs import ProductionLog
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.postgres_only

CLIENTS = 8
FROZEN_SECONDS = 4.0
GENEROUS = "100000 per minute"


@pytest.fixture
def app_overrides(redis_server: RedisServer) -> dict[str, Any]:
    """Every limit on, on Redis, and too generous to be reached: a 429 here would hide a fallback."""
    return {
        "RATELIMIT_ENABLED": "true",
        "REDIS_URL": redis_server.url,
        "REDIS_TIMEOUT_SECONDS": "0.3",
        "RATELIMIT_DEFAULT": GENEROUS,
        "RATELIMIT_REGISTER": GENEROUS,
        "RATELIMIT_LOGIN_IP": GENEROUS,
        "RATELIMIT_LOGIN_EMAIL": GENEROUS,
        "RATELIMIT_PASSWORD_RESET": GENEROUS,
        "RATELIMIT_PASSWORD_RESET_EMAIL": GENEROUS,
        "OUTBOX_SWEEP_GRACE_SECONDS": "0",
    }


def _reset_messages(app: Flask, emails: list[str]) -> set[str]:
    """The ids of the outbox messages of these password resets."""
    wanted = set(emails)
    with app.app_context():
        rows = db.session.execute(
            sa.text("SELECT id, payload FROM outbox_messages WHERE kind = :kind"), {"kind": RESET_REQUESTED}
        ).all()
        db.session.remove()
    return {str(row.id) for row in rows if (row.payload or {}).get("email") in wanted}


def _registered(app: Flask, emails: list[str]) -> set[str]:
    with app.app_context():
        found = db.session.execute(
            sa.text("SELECT email FROM users WHERE email = ANY(:emails)"), {"emails": emails}
        ).scalars()
        registered = set(found)
        db.session.remove()
    return registered


def _queued(redis_server: RedisServer) -> set[str]:
    """The outbox ids waiting in the job queue on Redis."""
    client = redis.Redis.from_url(redis_server.url)
    try:
        raw = client.hvals(f"keel-jobs:{QUEUE}.msgs")
    finally:
        client.close()
    return {str(Message.decode(message).args[0]) for message in raw}


def test_a_frozen_redis_under_load_is_fallback_or_503_never_500_and_it_recovers(
    committed_app: Flask, redis_server: RedisServer, production_log: ProductionLog
) -> None:
    account = create_account(committed_app)
    run = uuid.uuid4().hex[:8]

    with serve(committed_app) as server:
        tokens = server.login(account)
        me = {"Authorization": f"Bearer {tokens['access_token']}"}
        credentials = {"email": account.email, "password": account.password}

        def step(client: int, n: int) -> Answer:
            kind = (client + n) % 4
            if kind == 0:
                return send(server.port, "me", "GET", "/api/v1/users/me", headers=me)
            if kind == 1:
                return send(server.port, "login", "POST", "/api/v1/auth/login", body=credentials)
            email = f"freeze-{run}-{client}-{n}@example.com"
            if kind == 2:
                body = {"email": email, "password": DEFAULT_PASSWORD, "name": "Freeze"}
                key = {"Idempotency-Key": f"{run}-{client}-{n}"}
                return send(
                    server.port, f"keyed:{email}", "POST", "/api/v1/auth/register", body=body, headers=key
                )
            return send(server.port, email, "POST", "/api/v1/auth/password-reset", body={"email": email})

        load = Load(CLIENTS, step).start()
        time.sleep(1.5)
        frozen_at = time.monotonic()
        redis_server.freeze()
        time.sleep(FROZEN_SECONDS)
        redis_server.thaw()
        thawed_at = time.monotonic()
        time.sleep(4.0)
        answers = load.stop()

        # Shared limits come back by themselves: the storage re-tries Redis with back-off.
        with committed_app.app_context():
            storage = container().limiter.limiter.storage
        deadline = time.monotonic() + 20
        while storage.is_down and time.monotonic() < deadline:
            assert send(server.port, "me", "GET", "/api/v1/users/me", headers=me).status == 200
            time.sleep(0.2)
        assert not storage.is_down

    assert unexpected(answers, {200, 201, 202, 503}) == []
    refused = [a for a in answers if a.status == 503]
    assert all(a.label.startswith("keyed:") for a in refused), [a.describe() for a in refused]
    assert any(frozen_at < a.at < thawed_at and a.status == 503 for a in answers)
    assert {a.status for a in answers if a.at < frozen_at} <= {200, 201, 202}
    served_while_frozen = {a.label for a in answers if frozen_at + 1 < a.at < thawed_at and a.status < 300}
    assert {"me", "login"} <= served_while_frozen
    assert {a.status for a in answers if a.at > thawed_at + 1} <= {200, 201, 202}

    # Each Redis call gives up after REDIS_TIMEOUT_SECONDS: no request waits out the freeze.
    slowest = max(answers, key=lambda a: a.seconds)
    assert slowest.seconds < FROZEN_SECONDS - 1, slowest.describe()

    # A keyed request refused with 503 did nothing; every one answered 201 did what it said.
    keyed = {a.label.removeprefix("keyed:"): a.status for a in answers if a.label.startswith("keyed:")}
    created = _registered(committed_app, list(keyed))
    assert {email for email, status in keyed.items() if status == 201} == created

    resets = [a.label for a in answers if a.status == 202]
    messages = _reset_messages(committed_app, resets)
    assert len(messages) == len(resets)
    assert "job queue unreachable; the sweep will send the message" in production_log.text
    with committed_app.app_context():
        container().sweeper().sweep_once()
    assert messages <= _queued(redis_server)
