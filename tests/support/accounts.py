"""Accounts and tokens for API tests: real users in the database, real logins over HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient

from app.composition import container
from app.users.service import NewUser

DEFAULT_PASSWORD = "Quiet-Harbour-Lantern-42"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


@dataclass
class Account:
    id: uuid.UUID
    email: str
    password: str
    role: str


def create_account(
    app: Flask,
    *,
    role: str = "user",
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    name: str = "Test User",
) -> Account:
    """Create a user directly through the service (no HTTP, no rate limits)."""
    email = email or unique_email(role)
    with app.app_context():
        user = (
            container()
            .user_service()
            .provision(NewUser(email=email, password=password, name=name, role=role))
        )
        return Account(id=user.id, email=user.email, password=password, role=role)


@dataclass
class Tokens:
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    @property
    def refresh_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.refresh_token}"}


def login(client: FlaskClient, account: Account) -> Tokens:
    response = client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return Tokens(access_token=body["access_token"], refresh_token=body["refresh_token"])
