"""The caller's own record costs one query: the token check loads the row the view then reads; another
user's record costs one more."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from tests.support.accounts import Account, Tokens


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """What the request ran: the test client serves it on this thread, while the in-process job
    worker (mail for the new account) may use the same engine on its own."""
    seen: list[str] = []
    request_thread = threading.get_ident()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == request_thread:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def selects(seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]


def test_me_is_one_query(app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens) -> None:
    with statements(app) as seen:
        response = client.get("/api/v1/users/me", headers=user_tokens.headers)
    assert response.status_code == 200
    assert len(selects(seen)) == 1, seen


def test_reading_oneself_by_id_is_one_query(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    with statements(app) as seen:
        response = client.get(f"/api/v1/users/{user.id}", headers=user_tokens.headers)
    assert response.status_code == 200
    assert len(selects(seen)) == 1, seen


def test_an_admin_reading_another_user_is_two_queries(
    app: Flask, client: FlaskClient, user: Account, admin_tokens: Tokens
) -> None:
    with statements(app) as seen:
        response = client.get(f"/api/v1/users/{user.id}", headers=admin_tokens.headers)
    assert response.status_code == 200
    assert response.get_json()["id"] == str(user.id)
    assert len(selects(seen)) == 2, seen
