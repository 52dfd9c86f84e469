"""Fixtures: every database-backed test runs on SQLite and, when TEST_DATABASE_URL is set, PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import scoped_session, sessionmaker

from app.extensions import db
from tests.support import databases
from tests.support.accounts import Account, Tokens, create_account, login
from tests.support.logs import production_log
from tests.support.redis_server import RedisServer
from tests.support.smtp_server import SmtpServer

__all__ = ["production_log"]

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]

if os.environ.get("CI") and not PG_URL:  # pragma: no cover - guards CI configuration
    raise RuntimeError("CI must set TEST_DATABASE_URL: PostgreSQL tests may not be skipped there")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The owned-resource contract has nothing to run until `make resource` registers a resource."""
    if collection_path.name != "test_owned_repositories.py":
        return None
    from tests.contracts import OWNED_RESOURCES

    return not OWNED_RESOURCES or None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked postgres_only run on PostgreSQL only: their SQLite variants are not collected."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("backend") == "sqlite"
        (dropped if on_sqlite and item.get_closest_marker("postgres_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@dataclass(frozen=True)
class Backend:
    name: str
    template_url: str

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgresql"


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """A migrated template database, made once per backend per session."""
    if request.param == "sqlite":
        url = databases.sqlite_url(tmp_path_factory.mktemp("sqlite") / "template.db")
        databases.migrate(url)
        yield Backend("sqlite", url)
        return
    assert PG_URL is not None
    url = databases.create_pg_database(PG_URL, prefix="keel_tpl")
    databases.migrate(url)
    yield Backend("postgresql", url)
    databases.drop_pg_database(url)


@pytest.fixture(scope="session")
def pg_shared_url(backend: Backend) -> Iterator[str | None]:
    """One PostgreSQL database per session for transaction-isolated tests."""
    if not backend.is_postgres:
        yield None
        return
    url = databases.create_pg_database(
        backend.template_url, template=_db_name(backend.template_url), prefix="keel_test"
    )
    yield url
    databases.drop_pg_database(url)


def _db_name(url: str) -> str:
    import sqlalchemy as sa

    return str(sa.make_url(url).database)


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def app(
    backend: Backend, pg_shared_url: str | None, tmp_path: Path, app_overrides: dict[str, Any]
) -> Iterator[Flask]:
    """An app whose database work is thrown away after the test, even what it commits."""
    if not backend.is_postgres:
        url = databases.copy_sqlite(backend.template_url, tmp_path / "keel.db")
        application = databases.make_app(url, app_overrides)
        yield application
        databases.dispose(application)
        return
    assert pg_shared_url is not None
    application = databases.make_app(pg_shared_url, app_overrides)
    original_session = db.session
    with application.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
    db.session = scoped_session(  # type: ignore[misc]
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    )
    try:
        yield application
    finally:
        db.session.remove()
        db.session = original_session  # type: ignore[misc]
        outer.rollback()
        connection.close()
        databases.dispose(application)


@pytest.fixture
def committed_app(backend: Backend, tmp_path: Path, app_overrides: dict[str, Any]) -> Iterator[Flask]:
    """An app on a database of its own with real commits: for concurrency tests."""
    if not backend.is_postgres:
        url = databases.copy_sqlite(backend.template_url, tmp_path / "keel.db")
    else:
        url = databases.create_pg_database(
            backend.template_url, template=_db_name(backend.template_url), prefix="keel_race"
        )
    application = databases.make_app(url, app_overrides)
    yield application
    databases.dispose(application)
    if backend.is_postgres:
        databases.drop_pg_database(url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def user(app: Flask) -> Account:
    return create_account(app, role="user")


@pytest.fixture
def admin(app: Flask) -> Account:
    return create_account(app, role="admin")


@pytest.fixture
def user_tokens(client: FlaskClient, user: Account) -> Tokens:
    return login(client, user)


@pytest.fixture
def admin_tokens(client: FlaskClient, admin: Account) -> Tokens:
    return login(client, admin)


REDIS_URL = os.environ.get("TEST_REDIS_URL")
STORAGES = ["memory", "redis"] if REDIS_URL else ["memory"]

if os.environ.get("CI") and not REDIS_URL:  # pragma: no cover - guards CI configuration
    raise RuntimeError("CI must set TEST_REDIS_URL: Redis tests may not be skipped there")

# Idempotency-Key stores: the Redis variant of each test skips, saying why, without TEST_REDIS_URL.
IDEMPOTENCY_STORES = [
    "database",
    pytest.param(
        "redis",
        marks=pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (CI always sets it)"),
    ),
]


@contextlib.contextmanager
def emptied_test_redis() -> Iterator[str]:
    """The test Redis's URL, its database emptied before and after: no test sees another's keys."""
    import redis

    assert REDIS_URL is not None
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    try:
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()


@contextlib.contextmanager
def idempotency_store_settings(store: str, **settings: str) -> Iterator[dict[str, str]]:
    """App settings that keep Idempotency-Keys in `store` (one of IDEMPOTENCY_STORES), plus `settings`."""
    if store == "database":
        yield settings
        return
    with emptied_test_redis() as url:
        yield {**settings, "REDIS_URL": url}


@pytest.fixture(params=STORAGES)
def limiter_storage(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """Settings that switch the rate limits on, in memory or on the test Redis (emptied around the test)."""
    if request.param == "memory":
        yield {"RATELIMIT_ENABLED": "true"}
        return
    with emptied_test_redis() as url:
        yield {"RATELIMIT_ENABLED": "true", "REDIS_URL": url}


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server a test may freeze, stop or restart; stopped (thawed first) afterwards."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def hanging_server() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    from tests.support.hanging import hanging_port

    with hanging_port() as port:
        yield port


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback that keeps what it receives."""
    server = SmtpServer().start()
    yield server
    server.stop()
