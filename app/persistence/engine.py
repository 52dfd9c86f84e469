"""Engine settings for SQLite and PostgreSQL: fail fast on a dead or slow database, log no parameters."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def engine_options(
    database_url: str,
    *,
    connect_timeout: int,
    statement_timeout_ms: int,
    pool_size: int,
    max_overflow: int,
    pool_timeout: int,
) -> dict[str, Any]:
    """Pool and driver settings: fail fast on a dead or slow database instead of hanging workers."""
    if database_url.startswith("sqlite"):
        return {"hide_parameters": True, "connect_args": {"timeout": 15}}
    return {
        # Bound parameters (emails, hashes) must not leak into logs or exception messages.
        "hide_parameters": True,
        # No ping before every checkout: it was a round trip on every request (about a sixth of
        # /users/me's time under load). A connection that died with the server fails its first
        # query instead; SQLAlchemy then invalidates the pool, that request is a 503 with
        # Retry-After, and the next one reconnects (tests/integration/test_database_restart.py).
        "pool_pre_ping": False,
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": pool_timeout,
        "pool_recycle": 1800,
        "connect_args": {
            "connect_timeout": connect_timeout,
            "options": f"-c statement_timeout={statement_timeout_ms} -c lock_timeout={statement_timeout_ms}",
            "application_name": "keel",
        },
    }


def enable_sqlite_pragmas(engine: sa.Engine) -> None:
    """Enforce foreign keys and let readers and a writer work side by side."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
