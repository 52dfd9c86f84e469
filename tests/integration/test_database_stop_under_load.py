"""PostgreSQL stopped (`pg_ctl stop -m fast`) and started again under eight concurrent clients: every
answer is a success or a 503 with Retry-After, never a 500 or an HTML page, and every write that was
acknowledged with a 201 is in the database afterwards.

The server is a private cluster of this test's own: the one other tests share is never stopped."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask, jsonify

from app.extensions import db
from tests.support import databases
from tests.support.accounts import DEFAULT_PASSWORD, create_account
from tests.support.concurrency import serve
from tests.support.load import Answer, Load, send, unexpected
from tests.support.postgres_server import PostgresServer

pytestmark = pytest.mark.postgres_only

CLIENTS = 8
DOWN_SECONDS = 3.0


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().init()
    server.start()
    yield server
    server.destroy()


@pytest.fixture
def private_app(private_postgres: PostgresServer) -> Iterator[Flask]:
    url = databases.create_pg_database(private_postgres.url, prefix="keel_fault")
    databases.migrate(url)
    app = databases.make_app(url, {"DB_CONNECT_TIMEOUT_SECONDS": "2", "DB_POOL_TIMEOUT_SECONDS": "2"})
    yield app
    databases.dispose(app)


def _registered(app: Flask, emails: list[str]) -> set[str]:
    with app.app_context():
        rows = db.session.execute(
            sa.text("SELECT email FROM users WHERE email = ANY(:emails)"), {"emails": emails}
        ).scalars()
        found = set(rows)
        db.session.remove()
    return found


def test_a_database_restart_under_load_is_503s_then_service_with_no_acknowledged_write_lost(
    private_postgres: PostgresServer, private_app: Flask
) -> None:
    account = create_account(private_app)
    prefix = f"fault-{uuid.uuid4().hex[:8]}"

    with serve(private_app) as server:
        tokens = server.login(account)
        me = {"Authorization": f"Bearer {tokens['access_token']}"}

        def step(client: int, n: int) -> Answer:
            if n % 2:
                return send(server.port, "me", "GET", "/api/v1/users/me", headers=me)
            email = f"{prefix}-{client}-{n}@example.com"
            body = {"email": email, "password": DEFAULT_PASSWORD, "name": "Fault"}
            return send(server.port, email, "POST", "/api/v1/auth/register", body=body)

        load = Load(CLIENTS, step).start()
        time.sleep(1.5)
        stopping_at = time.monotonic()
        private_postgres.stop("fast")
        stopped_at = time.monotonic()
        time.sleep(DOWN_SECONDS)
        private_postgres.start()
        started_at = time.monotonic()
        time.sleep(3.0)
        answers = load.stop()

    assert unexpected(answers, {200, 201, 503}) == []
    before = [a for a in answers if a.at < stopping_at]
    during = [a for a in answers if stopped_at + 0.5 < a.at < started_at - 0.5]
    after = [a for a in answers if a.at > started_at + 1.5]
    assert before
    assert during
    assert after
    assert {a.status for a in before} <= {200, 201}
    assert {a.status for a in during} == {503}, [a.describe() for a in during if a.status != 503]
    assert {a.status for a in after} <= {200, 201}, [a.describe() for a in after if a.status >= 300]

    acknowledged = [a.label for a in answers if a.status == 201]
    assert len(set(acknowledged)) == len(acknowledged)
    assert _registered(private_app, acknowledged) == set(acknowledged)


def test_a_rollback_on_a_connection_the_server_closed_is_not_a_500(
    private_postgres: PostgresServer, private_app: Flask
) -> None:
    """The view reads (its session holds a transaction), then the server closes that connection:
    the request's session teardown rolls back on a dead connection, and the answer stays the view's."""
    admin = sa.create_engine(private_postgres.url, poolclass=sa.pool.NullPool)

    @private_app.get("/api/v1/test-only/read-then-lose-connection")
    def read_then_lose_connection() -> object:
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as connection:  # returns once that backend has exited
            terminated = connection.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            assert terminated.scalar_one()
        return jsonify(read=True)

    with serve(private_app) as server:
        answers = [
            send(server.port, "read", "GET", "/api/v1/test-only/read-then-lose-connection") for _ in range(3)
        ]
        assert [(a.status, a.is_json) for a in answers] == [(200, True)] * 3, [a.describe() for a in answers]
        assert [a.body for a in answers] == [{"read": True}] * 3
        after = send(server.port, "health", "GET", "/api/v1/test-only/read-then-lose-connection")
        assert after.status == 200
    admin.dispose()
