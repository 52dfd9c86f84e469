"""The database Idempotency-Key store (no REDIS_URL) losing its database, over HTTP, on SQLite and
PostgreSQL: before the request acts it is a 503 with Retry-After and nothing acts; once the request
has acted (committed), its own answer stands, never a 503 for something done.

The store is the real SqlIdempotencyStore on an engine of its own. Cutting that engine sends every
new connection to a server that is not there (a closed port, a file in a missing directory), so the
driver itself fails as it does when the database goes away."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.composition import container, install
from app.extensions import db
from app.idempotency.repository import SqlIdempotencyStore
from app.users.models import User
from tests.api.auth.helpers import assert_problem
from tests.support.accounts import DEFAULT_PASSWORD, unique_email
from tests.support.redis_server import free_port

REGISTER = "/api/v1/auth/register"
RESET = "/api/v1/auth/password-reset"


class StoreLink:
    """The store's engine, and a switch that points its new connections at no database at all."""

    def __init__(self, engine: sa.Engine, nowhere: Path) -> None:
        self.engine = engine
        self.cut = False
        self._nowhere = nowhere
        sa.event.listen(engine, "do_connect", self._connect)

    def _connect(self, dialect: sa.Dialect, record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        if not self.cut:
            return
        if dialect.name == "postgresql":
            cparams.update(host="127.0.0.1", port=free_port(), connect_timeout=2)
        else:
            cargs[0] = str(self._nowhere / "keel.db")

    def cut_when(self, engine: sa.Engine, event: str) -> None:
        """Cut the link the moment `engine` does `event` (a commit, say)."""

        def cut(*_: Any) -> None:
            self.cut = True

        sa.event.listen(engine, event, cut, once=True)


@pytest.fixture
def link(committed_app: Flask, tmp_path: Path) -> Iterator[StoreLink]:
    with committed_app.app_context():
        engine = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
        built = container()
        assert isinstance(built.idempotency_store, SqlIdempotencyStore)  # no REDIS_URL: the database store
        install(committed_app, replace(built, idempotency_store=SqlIdempotencyStore(engine)))
    yield StoreLink(engine, tmp_path / "missing")
    engine.dispose()


@pytest.fixture
def client(committed_app: Flask) -> FlaskClient:
    return committed_app.test_client()


def account() -> dict[str, str]:
    return {"email": unique_email("outage"), "password": DEFAULT_PASSWORD, "name": "Ada"}


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def accounts_with(app: Flask, email: str) -> int:
    with app.app_context():
        statement = sa.select(sa.func.count()).select_from(User).where(User.email_normalized == email)
        found = int(db.session.scalar(statement) or 0)
        db.session.remove()
    return found


def test_a_store_down_before_the_request_acts_is_a_503_and_nothing_acts(
    client: FlaskClient, committed_app: Flask, link: StoreLink
) -> None:
    link.cut = True
    body = account()
    response = client.post(REGISTER, json=body, headers=key())
    assert_problem(response, 503, "service_unavailable")
    assert int(response.headers["Retry-After"]) >= 1
    assert accounts_with(committed_app, body["email"]) == 0


def test_a_store_lost_after_the_request_committed_keeps_the_requests_answer(
    client: FlaskClient, committed_app: Flask, link: StoreLink, caplog: pytest.LogCaptureFixture
) -> None:
    with committed_app.app_context():
        link.cut_when(db.engine, "commit")  # the request's own transaction: the account is created
    body, headers = account(), key()
    with caplog.at_level(logging.WARNING, logger="keel.idempotency"):
        response = client.post(REGISTER, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["email"] == body["email"]
    assert accounts_with(committed_app, body["email"]) == 1
    assert "idempotency key left claimed" in caplog.text

    # The key stays claimed until its lock lapses: a retry acts no second time.
    link.cut = False
    retry = client.post(REGISTER, json=body, headers=headers)
    assert_problem(retry, 409, "idempotency_key_in_use")
    assert accounts_with(committed_app, body["email"]) == 1


class TestAReleaseAfterTheRequestActed:
    @pytest.fixture
    def app_overrides(self) -> dict[str, Any]:
        return {"RATELIMIT_ENABLED": "true", "RATELIMIT_PASSWORD_RESET_EMAIL": "1 per hour"}

    def test_a_store_lost_before_a_429_is_released_keeps_the_429(
        self, client: FlaskClient, link: StoreLink, caplog: pytest.LogCaptureFixture
    ) -> None:
        email = unique_email()
        assert client.post(RESET, json={"email": email}, headers=key()).status_code == 202
        link.cut_when(link.engine, "commit")  # right after the key is claimed
        with caplog.at_level(logging.WARNING, logger="keel.idempotency"):
            limited = client.post(RESET, json={"email": email}, headers=key())
        assert_problem(limited, 429, "rate_limited")
        assert "idempotency key left claimed" in caplog.text
