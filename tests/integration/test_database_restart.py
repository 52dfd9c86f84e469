"""Connections that die with the database server cost at most one 503 per worker, then reconnect: the
pool is not pinged before every checkout (that was a round trip on every request)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from tests.support.accounts import create_account, login

pytestmark = pytest.mark.postgres_only


def kill_connections(app: Flask) -> int:
    with app.app_context():
        database = db.engine.url.database
    with app.app_context():
        url = db.engine.url
    admin = sa.create_engine(url)
    with admin.connect() as connection:
        killed = connection.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": database},
        ).scalar_one()
    admin.dispose()
    return int(killed)


def test_a_dead_pooled_connection_is_one_503_then_the_service_recovers(committed_app: Flask) -> None:
    client = committed_app.test_client()
    account = create_account(committed_app)
    tokens = login(client, account)
    assert client.get("/api/v1/users/me", headers=tokens.headers).status_code == 200
    assert kill_connections(committed_app) >= 1

    first = client.get("/api/v1/users/me", headers=tokens.headers)
    assert first.status_code == 503, first.get_json()
    assert first.content_type == "application/problem+json"
    assert first.headers["Retry-After"]
    assert [client.get("/api/v1/users/me", headers=tokens.headers).status_code for _ in range(3)] == [200] * 3
