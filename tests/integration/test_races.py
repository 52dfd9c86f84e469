"""Concurrency claims, proven with real concurrent HTTP requests against a real PostgreSQL server.

Each test serves a `committed_app` (its own database, real commits) with a threaded WSGI server on
loopback and fires requests from many threads released together by a barrier, so the contenders
meet in the database rather than one after another.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.users.models import User
from tests.conftest import Backend
from tests.support.accounts import DEFAULT_PASSWORD, Account, create_account, unique_email
from tests.support.concurrency import Reply, Server, run_together, serve

CONTENDERS = 16
SAME_TOKEN_CONTENDERS = 10
# Often the loser is authenticated only after its demotion (403); enough rounds still meet the row locks.
DEMOTION_ROUNDS = 8

# Only the PostgreSQL variants run: concurrency claims rest on PostgreSQL row locks.
pytestmark = pytest.mark.postgres_only


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    # A connection for every contender at once: the race happens in PostgreSQL, not in the pool queue.
    # The production grace for a client's concurrent refreshes (the test profile has none).
    return {"DB_POOL_SIZE": str(CONTENDERS + 4), "REFRESH_REUSE_GRACE_SECONDS": "2"}


@pytest.fixture
def server(backend: Backend, committed_app: Flask) -> Iterator[Server]:
    """`committed_app` behind a real threaded HTTP server on an ephemeral loopback port."""
    assert backend.is_postgres, (
        "concurrency claims rest on PostgreSQL row locks; SQLite serialises every writer"
    )
    with serve(committed_app) as running:
        yield running


def outcomes(replies: list[Reply]) -> list[tuple[int, str | None]]:
    return sorted((reply.status, reply.code) for reply in replies)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def email_variants(email: str) -> list[str]:
    """The same address as different clients might type it: case and surrounding whitespace."""
    local, domain = email.split("@")
    return [email, email.upper(), f"  {email}  ", f"{local.capitalize()}@{domain.upper()}\t"]


def test_register_creates_exactly_one_account_when_the_same_email_races(server: Server) -> None:
    email = unique_email("race")
    variants = email_variants(email)

    def register(index: int) -> Reply:
        body = {"email": variants[index % len(variants)], "password": DEFAULT_PASSWORD, "name": f"R {index}"}
        return server.request("POST", "/api/v1/auth/register", body=body)

    replies = run_together(CONTENDERS, register)

    assert outcomes(replies) == [(201, None)] + [(409, "email_taken")] * (CONTENDERS - 1)
    with server.app.app_context():
        stored = db.session.scalar(
            sa.select(sa.func.count()).select_from(User).where(User.email_normalized == email.lower())
        )
    assert stored == 1


def test_refresh_rotates_exactly_once_when_the_same_token_races(server: Server) -> None:
    account = create_account(server.app)
    refresh_token = server.login(account)["refresh_token"]

    replies = run_together(
        SAME_TOKEN_CONTENDERS,
        lambda _: server.request("POST", "/api/v1/auth/refresh", headers=bearer(refresh_token)),
    )

    statuses = sorted(reply.status for reply in replies)
    assert statuses == [200] + [401] * (SAME_TOKEN_CONTENDERS - 1), outcomes(replies)
    losers = {reply.code for reply in replies if reply.status == 401}
    assert losers == {"token_revoked"}, losers
    # The one that won keeps a working session: the losers were a retry, not a theft.
    winner = next(reply.body for reply in replies if reply.status == 200)
    assert server.request("GET", "/api/v1/users/me", headers=bearer(winner["access_token"])).status == 200
    again = server.request("POST", "/api/v1/auth/refresh", headers=bearer(winner["refresh_token"]))
    assert again.status == 200


def test_refresh_replay_after_the_grace_window_revokes_the_family(server: Server) -> None:
    account = create_account(server.app)
    first = server.login(account)
    rotated = server.request("POST", "/api/v1/auth/refresh", headers=bearer(first["refresh_token"]))
    assert rotated.status == 200
    time.sleep(2.2)
    replay = server.request("POST", "/api/v1/auth/refresh", headers=bearer(first["refresh_token"]))
    assert (replay.status, replay.code) == (401, "token_reused")
    newest = rotated.body
    assert server.request("GET", "/api/v1/users/me", headers=bearer(newest["access_token"])).status == 401


def test_patch_applies_exactly_one_update_when_the_same_if_match_races(server: Server) -> None:
    account = create_account(server.app)
    headers = bearer(server.login(account)["access_token"])
    current = server.request("GET", "/api/v1/users/me", headers=headers)
    assert current.status == 200
    conditional = {**headers, "If-Match": current.headers["ETag"]}
    path = f"/api/v1/users/{account.id}"
    version_before = stored_user(server.app, account.id).version

    replies = run_together(
        SAME_TOKEN_CONTENDERS,
        lambda i: server.request("PATCH", path, body={"name": f"Contender {i}"}, headers=conditional),
    )

    stale = [(412, "precondition_failed")] * (SAME_TOKEN_CONTENDERS - 1)
    assert outcomes(replies) == [(200, None), *stale]
    winner = next(reply.body for reply in replies if reply.status == 200)
    stored = stored_user(server.app, account.id)
    assert (stored.name, stored.version) == (winner["name"], version_before + 1)


def stored_user(app: Flask, user_id: uuid.UUID) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


def reset_admins(app: Flask) -> tuple[Account, Account]:
    """Leave exactly two active admins, both new, so the last-admin rule is at stake between them."""
    with app.app_context():
        db.session.execute(sa.update(User).where(User.role == "admin").values(role="user"))
        db.session.commit()
    return create_account(app, role="admin"), create_account(app, role="admin")


def active_admins(app: Flask) -> int:
    with app.app_context():
        query = sa.select(sa.func.count()).select_from(User)
        count = db.session.scalar(query.where(User.role == "admin", User.is_active.is_(True)))
    return int(count or 0)


def demote_each_other(server: Server, first: Account, second: Account) -> list[Reply]:
    """Both admins, at the same instant, set the other's role to user."""
    tokens = {account.id: server.login(account)["access_token"] for account in (first, second)}
    pairs = [(first, second), (second, first)]

    def demote(index: int) -> Reply:
        actor, target = pairs[index]
        path = f"/api/v1/users/{target.id}"
        return server.request("PATCH", path, body={"role": "user"}, headers=bearer(tokens[actor.id]))

    return run_together(len(pairs), demote)


def test_patch_keeps_an_active_admin_when_two_admins_demote_each_other(server: Server) -> None:
    # A loser authenticated only after its own demotion is no admin any more: its 403 is right too.
    losing = {(409, "last_admin"), (412, "precondition_failed"), (403, "forbidden")}
    for _ in range(DEMOTION_ROUNDS):
        first, second = reset_admins(server.app)

        replies = demote_each_other(server, first, second)

        losers = {(reply.status, reply.code) for reply in replies if reply.status != 200}
        assert [reply.status for reply in replies].count(200) == 1, outcomes(replies)
        assert losers <= losing, losers
        assert active_admins(server.app) == 1
