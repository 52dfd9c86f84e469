"""JWT_ACCESS_ALGORITHM=ES256: keys made from then on are P-256, and tokens of the earlier EdDSA key
keep verifying until it retires."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.test_jwks import ISSUER, JWKS, published, verify
from tests.support.accounts import Account, login


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"JWT_ISSUER": ISSUER, "JWT_AUDIENCE": "keel-api", "JWT_ACCESS_ALGORITHM": "ES256"}


def test_an_es256_key_signs_and_publishes_its_y_coordinate(
    app: Flask, client: FlaskClient, user: Account
) -> None:
    before = login(client, user)  # the database's first key, EdDSA
    assert app.test_cli_runner().invoke(args=["keys", "rotate", "--now"]).exit_code == 0

    after = login(client, user)

    assert jwt.get_unverified_header(after.access_token)["alg"] == "ES256"
    new = published(client)["keys"][0]
    assert (new["kty"], new["crv"], new["alg"]) == ("EC", "P-256", "ES256")
    assert new["y"]
    assert "d" not in new
    jwks = client.get(JWKS).get_json()
    verify(after.access_token, jwks)
    verify(before.access_token, jwks)
    assert client.get("/api/v1/users/me", headers=before.headers).status_code == 200
    assert client.get("/api/v1/users/me", headers=after.headers).status_code == 200
