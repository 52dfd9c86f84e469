"""The published key set over HTTP: another service verifies a live access token with it alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.accounts import Account, Tokens, login
from tests.support.totp import MovableClock, install_clock

JWKS = "/.well-known/jwks.json"
METADATA = "/.well-known/oauth-authorization-server"
ISSUER = "https://keel.example"
AUDIENCE = "keel-api"
PUBLIC_MEMBERS = {"kty", "crv", "x", "y", "kid", "alg", "use"}


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE}


def published(client: FlaskClient) -> dict[str, Any]:
    response = client.get(JWKS)
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def verify(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """What a verifying service does, with PyJWT and nothing of Keel's but the served key set."""
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[kid]
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["EdDSA", "ES256"], audience=AUDIENCE, issuer=ISSUER
    )
    return claims


def test_a_live_access_token_verifies_with_the_served_jwks_alone(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    response = client.get(JWKS)

    assert response.headers["Cache-Control"] == "public, max-age=300"
    claims = verify(user_tokens.access_token, response.get_json())
    assert claims["sub"] == str(user.id)


def test_the_jwks_holds_public_members_only(client: FlaskClient) -> None:
    [key] = published(client)["keys"]

    assert set(key) <= PUBLIC_MEMBERS
    assert "d" not in key
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")


def test_a_rotated_key_is_published_at_once_and_the_old_one_until_it_retires(
    app: Flask, client: FlaskClient, user: Account
) -> None:
    clock: MovableClock = install_clock(app)
    clock.advance(timedelta(minutes=1))
    before = login(client, user)
    [old] = published(client)["keys"]
    assert app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0

    new, still_old = published(client)["keys"]
    assert still_old == old
    clock.advance(timedelta(seconds=900))
    after = login(client, user)
    assert jwt.get_unverified_header(after.access_token)["kid"] == new["kid"]
    jwks = published(client)
    verify(before.access_token, jwks)
    verify(after.access_token, jwks)
    clock.advance(timedelta(seconds=900))
    assert published(client)["keys"] == [new]


def test_a_revoked_key_leaves_the_jwks_at_once(app: Flask, client: FlaskClient) -> None:
    [old] = published(client)["keys"]
    runner = app.test_cli_runner()
    assert runner.invoke(args=["keys", "rotate", "--now"]).exit_code == 0
    assert runner.invoke(args=["keys", "revoke", old["kid"]]).exit_code == 0

    assert old["kid"] not in [key["kid"] for key in published(client)["keys"]]


def test_the_metadata_names_the_issuer_and_the_jwks_uri(client: FlaskClient) -> None:
    response = client.get(METADATA)

    assert response.status_code == 200
    assert response.get_json() == {"issuer": ISSUER, "jwks_uri": f"{ISSUER}{JWKS}"}
