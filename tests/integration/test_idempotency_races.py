"""Concurrent duplicates with one Idempotency-Key act exactly once: real HTTP, PostgreSQL, each store.

Sixteen copies of one request, released together at a threaded server: one acts; each other one
gets either its stored response (if the first had finished) or 409 `idempotency_key_in_use`.
Counting rows alone would not prove it (the unique email index keeps one account without any key),
so each test also checks what only the key gives: every other answer is the first one replayed
(the same `id`) or 409 `idempotency_key_in_use`, never an answer of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.users.models import User
from tests.conftest import IDEMPOTENCY_STORES, Backend, idempotency_store_settings
from tests.support.accounts import DEFAULT_PASSWORD, unique_email
from tests.support.concurrency import Reply, Server, run_together, serve

CONTENDERS = 16

pytestmark = pytest.mark.postgres_only


@pytest.fixture(params=IDEMPOTENCY_STORES)
def app_overrides(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    with idempotency_store_settings(request.param, DB_POOL_SIZE=str(CONTENDERS + 4)) as settings:
        yield settings


@pytest.fixture
def server(backend: Backend, committed_app: Flask) -> Iterator[Server]:
    assert backend.is_postgres
    with serve(committed_app) as running:
        yield running


def count(app: Flask, statement: sa.Select[Any]) -> int:
    with app.app_context():
        return int(db.session.scalar(statement) or 0)


def test_concurrent_duplicates_register_one_account(server: Server) -> None:
    email = unique_email("idem-race")
    body = {"email": email, "password": DEFAULT_PASSWORD, "name": "Race"}
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    app = server.app
    mails_before = count(app, sa.select(sa.func.count()).select_from(OutboxMessage))

    def register(_: int) -> Reply:
        return server.request("POST", "/api/v1/auth/register", body=body, headers=headers)

    replies = run_together(CONTENDERS, register)

    first, replayed = assert_one_acted_the_rest_replayed_or_in_use(replies, status=201)
    assert {r.body["id"] for r in replayed} <= {first.body["id"]}
    assert all(r.body == first.body and r.headers["Location"] == first.headers["Location"] for r in replayed)
    assert count(app, sa.select(sa.func.count()).select_from(User).where(User.email_normalized == email)) == 1
    # One verification mail: the one account's.
    assert count(app, sa.select(sa.func.count()).select_from(OutboxMessage)) == mails_before + 1


def test_concurrent_duplicates_of_a_password_reset_record_one_job(server: Server) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"email": unique_email("idem-reset")}
    app = server.app
    before = count(app, sa.select(sa.func.count()).select_from(OutboxMessage))

    replies = run_together(
        CONTENDERS,
        lambda _: server.request("POST", "/api/v1/auth/password-reset", body=body, headers=headers),
    )

    assert_one_acted_the_rest_replayed_or_in_use(replies, status=202)
    assert count(app, sa.select(sa.func.count()).select_from(OutboxMessage)) == before + 1


def assert_one_acted_the_rest_replayed_or_in_use(
    replies: list[Reply], *, status: int
) -> tuple[Reply, list[Reply]]:
    """What only the key gives: one answer of its own; every other one is that answer replayed, or
    409 `idempotency_key_in_use` while it ran. The first answer and the replays are returned."""
    answers = [(r.status, r.code, r.headers.get("Idempotent-Replayed")) for r in replies]
    acted = [r for r in replies if r.status == status and "Idempotent-Replayed" not in r.headers]
    replayed = [r for r in replies if r.status == status and r.headers.get("Idempotent-Replayed") == "true"]
    in_use = [r for r in replies if r.status == 409 and r.code == "idempotency_key_in_use"]
    assert len(acted) == 1, answers
    assert len(acted) + len(replayed) + len(in_use) == CONTENDERS, answers
    return acted[0], replayed
