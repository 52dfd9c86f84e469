"""The 25-live-key limit under parallel creates, as real parallel requests to a threaded server on
PostgreSQL (tests/support/concurrency.py), counting the rows written, not only the statuses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.api_keys.models import ApiKey
from app.api_keys.service import MAX_LIVE_KEYS
from app.extensions import db
from tests.conftest import Backend
from tests.support.accounts import create_account
from tests.support.concurrency import Server, run_together, serve

CONTENDERS = 10
HEAD_START = MAX_LIVE_KEYS - CONTENDERS // 2
API_KEYS = "/api/v1/api-keys"

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    # A connection for every contender at once: the race happens in PostgreSQL, not in the pool queue.
    return {"DB_POOL_SIZE": str(CONTENDERS + 4)}


@pytest.fixture
def server(backend: Backend, committed_app: Flask) -> Iterator[Server]:
    assert backend.is_postgres, "concurrency claims rest on PostgreSQL; SQLite serialises every writer"
    with serve(committed_app) as running:
        yield running


def stored(app: Flask, owner_id: uuid.UUID) -> int:
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(ApiKey).where(ApiKey.owner_id == owner_id)
        )
        db.session.remove()
        return int(count or 0)


def test_parallel_creates_never_pass_the_live_key_limit(server: Server) -> None:
    account = create_account(server.app)
    auth = {"Authorization": f"Bearer {server.login(account)['access_token']}"}
    body = {"name": "parallel", "scopes": ["users:read"]}
    for _ in range(HEAD_START):
        assert server.request("POST", API_KEYS, body=body, headers=auth).status == 201

    replies = run_together(CONTENDERS, lambda _: server.request("POST", API_KEYS, body=body, headers=auth))

    outcomes = sorted((reply.status, reply.code) for reply in replies)
    room = MAX_LIVE_KEYS - HEAD_START
    assert outcomes == [(201, None)] * room + [(409, "api_key_limit_reached")] * (CONTENDERS - room)
    assert stored(server.app, account.id) == MAX_LIVE_KEYS
