"""The database Idempotency-Key store on a PostgreSQL that is really stopped (`pg_ctl stop -m fast`):
its pooled connections are cut by the server and new ones are refused, and every call reports the
store's outage (a ServiceUnavailable), never a raw driver error.

The server is a private cluster of this test's own: the one other tests share is never stopped."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.domain.errors import ServiceUnavailable
from app.domain.idempotency import IdempotencyStoreUnavailable, KeyRecord, StoredResponse
from app.idempotency.repository import SqlIdempotencyStore
from tests.support import databases
from tests.support.postgres_server import PostgresServer

pytestmark = pytest.mark.postgres_only

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
RESPONSE = StoredResponse(status=201, headers=(), body=b"{}")


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().init()
    server.start()
    yield server
    server.destroy()


@pytest.fixture
def engine(private_postgres: PostgresServer) -> Iterator[sa.Engine]:
    url = databases.create_pg_database(private_postgres.url, prefix="keel_idem_stop")
    databases.migrate(url)
    engine = sa.create_engine(url, pool_size=2, connect_args={"connect_timeout": 2})
    yield engine
    engine.dispose()


def running(owner: str) -> KeyRecord:
    return KeyRecord(
        fingerprint="f",
        owner=owner,
        response=None,
        locked_until=NOW + timedelta(minutes=1),
        expires_at=NOW + timedelta(days=1),
    )


def test_every_call_on_a_stopped_database_is_the_stores_outage(
    private_postgres: PostgresServer, engine: sa.Engine
) -> None:
    store = SqlIdempotencyStore(engine)
    key = uuid.uuid4().hex
    assert store.claim(key, running("a"), now=NOW) is None  # a pooled connection, alive

    private_postgres.stop()

    calls = {
        "complete": lambda: store.complete(key, "a", RESPONSE, expires_at=NOW + timedelta(days=1), now=NOW),
        "release": lambda: store.release(key, "a"),
        "claim": lambda: store.claim(uuid.uuid4().hex, running("b"), now=NOW),
    }
    for name, call in calls.items():
        with pytest.raises(IdempotencyStoreUnavailable) as raised:
            call()
        assert isinstance(raised.value, ServiceUnavailable), name
        assert isinstance(raised.value.__cause__, sa.exc.OperationalError | sa.exc.InterfaceError), name

    # Back up: the key claimed before the stop is still held by its request.
    private_postgres.start()
    holder = store.claim(key, running("b"), now=NOW)
    assert holder is not None
    assert holder.owner == "a"
