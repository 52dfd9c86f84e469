"""Shared helpers for the users API tests: problem assertions and direct database set-up."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.extensions import db
from app.users.models import User
from app.users.repository import SqlUserRepository
from tests.support.accounts import Tokens, unique_email

USERS = "/api/v1/users"
REPRESENTATION_KEYS = {
    "id",
    "email",
    "email_verified",
    "name",
    "role",
    "is_active",
    "created_at",
    "updated_at",
}


def user_url(user_id: uuid.UUID | str) -> str:
    return f"{USERS}/{user_id}"


def assert_problem(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The response is the contract's problem+json with this status and code; returns the body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["code"] == code
    return body


def without_request_details(body: dict[str, Any]) -> dict[str, Any]:
    """A problem body minus what names this very request."""
    return {k: v for k, v in body.items() if k not in ("request_id", "instance")}


def read_user(client: FlaskClient, user_id: uuid.UUID, tokens: Tokens) -> dict[str, Any]:
    response = client.get(user_url(user_id), headers=tokens.headers)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def insert_users(
    app: Flask,
    count: int,
    *,
    created_at: datetime | None = None,
    role: str = "user",
    is_active: bool = True,
) -> list[uuid.UUID]:
    """Insert users straight through the repository (random ids, so id order differs from insert order)."""
    with app.app_context():
        session = db.session()
        users = SqlUserRepository(session)
        ids = []
        for _ in range(count):
            email = unique_email(role)
            user = User(
                id=uuid.uuid4(),
                email=email,
                email_normalized=email,
                name="Inserted User",
                password_hash="not-a-real-hash",
                role=role,
                is_active=is_active,
            )
            if created_at is not None:
                user.created_at = created_at
                user.updated_at = created_at
            users.add(user)
            ids.append(user.id)
        session.commit()
        return ids
