"""Throwaway databases for tests: a migrated template per backend, cheap copies per test."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app import create_app
from app.composition import container
from app.extensions import db


def base_overrides(database_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        "RATELIMIT_ENABLED": "false",
        **extra,
    }


def make_app(database_url: str, overrides: Mapping[str, Any] | None = None) -> Flask:
    return create_app(base_overrides(database_url, **(overrides or {})))


def migrate(database_url: str, overrides: Mapping[str, Any] | None = None) -> None:
    """Migrate, then make the first signing key as a deployment does (`keys rotate` after upgrade).

    `overrides`: the secrets of the processes that will serve the database (JWT_SECRET_KEY,
    DATA_ENCRYPTION_KEYS), which must decrypt the key's private part."""
    app = make_app(database_url, overrides)
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["keys", "rotate", "--if-none"])
        assert result.exit_code == 0, result.output
        db.engine.dispose()


def dispose(app: Flask) -> None:
    """Close what an app holds open: its in-process job worker, its database pool, its
    Idempotency-Key store and its rate-limit storage connections."""
    with app.app_context():
        built = container()
        built.jobs.stop()
        db.engine.dispose()
    close = getattr(built.idempotency_store, "close", None)
    if close is not None:
        close()
    for limiter in app.extensions.get("limiter", ()):
        client = getattr(limiter.storage, "storage", None)
        if client is not None and hasattr(client, "close"):
            client.close()


def _admin_engine(server_url: str) -> sa.Engine:
    url = sa.make_url(server_url).set(database="postgres")
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def create_pg_database(server_url: str, *, template: str | None = None, prefix: str = "keel") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    clause = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
    engine = _admin_engine(server_url)
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')
    engine.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(database_url: str) -> None:
    name = sa.make_url(database_url).database
    engine = _admin_engine(database_url)
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def copy_sqlite(template_url: str, target: Path) -> str:
    shutil.copyfile(sa.make_url(template_url).database or "", target)
    return sqlite_url(target)
