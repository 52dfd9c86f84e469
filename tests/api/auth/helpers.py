"""Shared vocabulary of the auth API tests: endpoints, problem assertions and hand-made JWTs."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import jwt
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from app.composition import container
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.support.accounts import Account, Tokens, login

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"
USERS = "/api/v1/users"

PROBLEM = "application/problem+json"
REFRESH_COOKIE = "refresh_token_cookie"
CSRF_COOKIE = "csrf_refresh_token"
AUTH_COOKIE_PATH = "/api/v1/auth"

# A key of a full 32 bytes that is not the app's: tokens signed with it are forgeries.
# Where mailed links point in these tests (FRONTEND_URL).
FRONTEND = "https://app.keel.test"

FOREIGN_KEY = "an-attacker-key-that-is-long-enough-for-hs256"


def user_url(user_id: object) -> str:
    return f"{USERS}/{user_id}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The response is the contract's problem+json with this status and code, stamped with its request id."""
    body = response.get_json()
    assert response.status_code == status, body
    assert response.content_type == PROBLEM
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == "about:blank"
    assert body["title"]
    assert body["detail"]
    assert body["request_id"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert "msg" not in body
    return dict(body)


def assert_unauthorized(response: TestResponse, code: str) -> dict[str, Any]:
    """A 401 problem with the Bearer challenge and exactly the reason `code`."""
    body = response.get_json()
    assert response.status_code == 401, body
    assert response.content_type == PROBLEM
    assert response.headers.get("WWW-Authenticate") == "Bearer"
    assert "msg" not in body
    return assert_problem(response, 401, code)


def assert_validation_error(response: TestResponse, *fields: str) -> dict[str, Any]:
    """A 422 validation_error naming each field under errors.json."""
    body = assert_problem(response, 422, "validation_error")
    for field in fields:
        assert field in body["errors"]["json"], body["errors"]
        assert body["errors"]["json"][field], body["errors"]
    return body


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def resign(
    app: Flask,
    token: str,
    *,
    drop: Iterable[str] = (),
    key: str | None = None,
    algorithm: str | None = None,
    **changes: Any,
) -> str:
    """Copy a real token's claims, change them, and sign the result as Keel would.

    An access token is signed with the active signing key under its kid; a refresh token with
    JWT_SECRET_KEY. A `key` or an `algorithm` makes a kid-less HMAC token instead (a forgery, or an
    access token of the kind issued before the key set).
    """
    claims = claims_of(token)
    for name in drop:
        del claims[name]
    claims.update(changes)
    if key is None and algorithm is None and claims.get("type") == "access":
        with app.app_context():
            active = container().keys.signer(container().clock())
        assert active is not None, "no signing key"
        return jwt.encode(claims, active.key, algorithm=active.algorithm, headers={"kid": active.kid})
    signing_key = str(app.config["JWT_SECRET_KEY"]) if key is None else key
    return jwt.encode(claims, signing_key, algorithm=algorithm or "HS256")


def unsigned(token: str, **changes: Any) -> str:
    """The same claims under alg "none": no signature at all."""
    return jwt.encode({**claims_of(token), **changes}, None, algorithm="none")


def now() -> int:
    return int(time.time())


def second_session(app: Flask, account: Account) -> Tokens:
    """Log the same account in again from another client: a separate session."""
    return login(app.test_client(), account)


def settle(app: Flask, timeout: float = 15.0) -> None:
    """Wait until the job queue has run every outbox message (none pending)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            pending = db.session.scalar(
                sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
            )
            db.session.remove()
        if pending == 0:
            return
        time.sleep(0.05)
    raise AssertionError("outbox messages still pending")
