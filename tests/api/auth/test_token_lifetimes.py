"""Token lifetimes have one source, the settings: the access token, the refresh token, the session row
and the refresh cookie all follow JWT_ACCESS_TTL_SECONDS and JWT_REFRESH_TTL_SECONDS."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.models import AuthSession
from app.extensions import db
from tests.api.auth.helpers import claims_of
from tests.support.accounts import Account

ACCESS_TTL = 123
REFRESH_TTL = 4567


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"JWT_ACCESS_TTL_SECONDS": str(ACCESS_TTL), "JWT_REFRESH_TTL_SECONDS": str(REFRESH_TTL)}


def test_every_lifetime_follows_the_settings(app: Flask, client: FlaskClient, user: Account) -> None:
    response = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert response.status_code == 200
    body = response.get_json()
    access, refresh = claims_of(body["access_token"]), claims_of(body["refresh_token"])

    assert body["expires_in"] == ACCESS_TTL
    assert access["exp"] - access["iat"] == ACCESS_TTL
    assert refresh["exp"] - refresh["iat"] == REFRESH_TTL
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("refresh_token_cookie="))
    assert f"Max-Age={REFRESH_TTL}" in cookie
    with app.app_context():
        session = db.session.get(AuthSession, uuid.UUID(refresh["sid"]))
        assert session is not None
        assert session.expires_at - session.created_at == timedelta(seconds=REFRESH_TTL)
