"""Access tokens signed with the key set (EdDSA by default): what they carry, which forgeries the
guard refuses, and how rotation and revocation reach tokens already issued."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, timedelta
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from joserfc.jwk import ECKey, OKPKey

from app.composition import container
from app.extensions import db
from app.keys.keyset import Signer
from app.keys.models import SigningKey
from tests.api.auth.helpers import (
    LOGIN,
    ME,
    REFRESH,
    assert_problem,
    assert_unauthorized,
    bearer,
    claims_of,
    resign,
)
from tests.support.accounts import Account, Tokens, login
from tests.support.totp import MovableClock, install_clock

ISSUER = "https://keel.example"
AUDIENCE = "keel-api"


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE}


@pytest.fixture
def clock(app: Flask) -> MovableClock:
    """A clock the test moves, starting after the template database's key was made."""
    moved = install_clock(app)
    moved.advance(timedelta(minutes=1))
    return moved


def signer(app: Flask) -> Signer:
    with app.app_context():
        found = container().keys.signer(container().clock())
    assert found is not None
    return found


def public_jwk(app: Flask, kid: str) -> dict[str, Any]:
    with app.app_context():
        stored = db.session.scalar(sa.select(SigningKey.public_jwk).where(SigningKey.kid == kid))
    assert stored is not None
    jwk: dict[str, Any] = json.loads(stored)
    return jwk


def header_of(token: str) -> dict[str, Any]:
    return jwt.get_unverified_header(token)


def signed(claims: dict[str, Any], key: Any, algorithm: str, kid: str) -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


def test_an_access_token_is_signed_with_the_active_key_and_names_it(
    app: Flask, user: Account, user_tokens: Tokens
) -> None:
    active = signer(app)
    header = header_of(user_tokens.access_token)

    assert (header["alg"], header["kid"]) == ("EdDSA", active.kid)
    key = jwt.PyJWK(public_jwk(app, active.kid)).key
    claims = jwt.decode(user_tokens.access_token, key, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER)
    assert claims["sub"] == str(user.id)
    assert {"sid", "exp", "iat", "jti", "amr", "auth_time"} <= claims.keys()
    assert claims["amr"] == ["pwd"]


def test_refresh_tokens_stay_hs256_without_a_kid(user_tokens: Tokens) -> None:
    header = header_of(user_tokens.refresh_token)

    assert header["alg"] == "HS256"
    assert "kid" not in header


def legacy_deadline(app: Flask) -> int:
    """The first signing key's creation, plus the activation wait and an access token's life."""
    with app.app_context():
        first = db.session.scalar(sa.select(sa.func.min(SigningKey.created_at)))
        settings = container().settings
    assert first is not None
    grace = timedelta(seconds=settings.jwt_key_activation_seconds + settings.jwt_access_ttl_seconds)
    return int((first.replace(tzinfo=first.tzinfo or UTC) + grace).timestamp())


def test_an_hs256_access_token_issued_before_keeps_working_until_it_expires(
    app: Flask, client: FlaskClient, user_tokens: Tokens
) -> None:
    legacy = resign(app, user_tokens.access_token, algorithm="HS256", drop=("iss", "aud"))

    assert "kid" not in header_of(legacy)
    assert client.get(ME, headers=bearer(legacy)).status_code == 200
    expired = resign(app, user_tokens.access_token, algorithm="HS256", exp=claims_of(legacy)["iat"] - 1)
    assert_unauthorized(client.get(ME, headers=bearer(expired)), "token_expired")


def test_no_hs256_access_token_outlives_the_keys_first_rollout(
    app: Flask, client: FlaskClient, user_tokens: Tokens
) -> None:
    """Only tokens issued before the key set (or during its rollout) are kid-less: one that expires
    later was minted with JWT_SECRET_KEY since, and the secret alone no longer makes access tokens."""
    deadline = legacy_deadline(app)
    last = resign(app, user_tokens.access_token, algorithm="HS256", exp=deadline)
    beyond = resign(app, user_tokens.access_token, algorithm="HS256", exp=deadline + 1)
    keyed = resign(app, user_tokens.access_token, exp=deadline + 1)

    assert client.get(ME, headers=bearer(last)).status_code == 200
    assert_unauthorized(client.get(ME, headers=bearer(beyond)), "unauthorized")
    assert client.get(ME, headers=bearer(keyed)).status_code == 200


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with_public_key(app: Flask, claims: dict[str, Any], kid: str) -> str:
    """The algorithm-confusion forgery: HMAC over the token with the published public key (its PEM)
    as the secret. PyJWT refuses to make one, so it is assembled here."""
    public_pem = jwt.PyJWK(public_jwk(app, kid)).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims).encode())
    mac = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(mac)}"


def _forgeries(app: Flask, token: str) -> dict[str, str]:
    real = signer(app)
    claims = claims_of(token)
    stranger = OKPKey.generate_key("Ed25519")
    p256 = ECKey.generate_key("P-256")
    head, payload, signature = token.split(".")
    tampered_claims = {**claims, "sub": "00000000-0000-0000-0000-000000000000"}
    return {
        "alg none": jwt.encode(claims, None, algorithm="none", headers={"kid": real.kid}),
        "HS256 keyed with the public key": hs256_with_public_key(app, claims, real.kid),
        "unknown kid": signed(claims, stranger.as_pem(private=True), "EdDSA", stranger.thumbprint()),
        "tampered payload": f"{head}.{b64(json.dumps(tampered_claims).encode())}.{signature}",
        "wrong iss": signed({**claims, "iss": "https://evil.example"}, real.key, "EdDSA", real.kid),
        "wrong aud": signed({**claims, "aud": "another-service"}, real.key, "EdDSA", real.kid),
        "no aud": signed({k: v for k, v in claims.items() if k != "aud"}, real.key, "EdDSA", real.kid),
        "ES256 under an EdDSA kid": signed(claims, p256.as_pem(private=True), "ES256", real.kid),
        "a refresh token under a kid": signed({**claims, "type": "refresh"}, real.key, "EdDSA", real.kid),
        "a kid that is not a string": b64(json.dumps({"alg": "EdDSA", "kid": 7}).encode())
        + f".{payload}.{signature}",
    }


FORGERIES = [
    "alg none",
    "HS256 keyed with the public key",
    "unknown kid",
    "tampered payload",
    "wrong iss",
    "wrong aud",
    "no aud",
    "ES256 under an EdDSA kid",
    "a refresh token under a kid",
    "a kid that is not a string",
]


@pytest.mark.parametrize("kind", FORGERIES)
def test_a_forged_access_token_is_401(
    app: Flask, client: FlaskClient, user_tokens: Tokens, kind: str
) -> None:
    forged = _forgeries(app, user_tokens.access_token)[kind]

    assert_unauthorized(client.get(ME, headers=bearer(forged)), "unauthorized")


def test_the_real_key_re_signing_the_same_claims_is_accepted(
    app: Flask, client: FlaskClient, user_tokens: Tokens
) -> None:
    # The baseline of the forgeries above: signing alone changes nothing.
    real = signer(app)
    token = signed(claims_of(user_tokens.access_token), real.key, "EdDSA", real.kid)

    assert client.get(ME, headers=bearer(token)).status_code == 200


def test_a_rotated_key_is_published_at_once_and_signs_only_after_activation(
    app: Flask, client: FlaskClient, user: Account, clock: MovableClock
) -> None:
    old = signer(app).kid
    before = login(client, user)
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output

    during = login(client, user)
    assert header_of(during.access_token)["kid"] == old

    clock.advance(timedelta(seconds=900))
    after = login(client, user)
    new = header_of(after.access_token)["kid"]
    assert new != old
    for tokens in (before, during, after):
        assert client.get(ME, headers=tokens.headers).status_code == 200


def test_a_revoked_key_s_tokens_are_401_on_the_next_request(
    app: Flask, client: FlaskClient, user: Account, clock: MovableClock
) -> None:
    runner: FlaskCliRunner = app.test_cli_runner()
    tokens = login(client, user)
    assert client.get(ME, headers=tokens.headers).status_code == 200
    assert runner.invoke(args=["keys", "rotate", "--now"]).exit_code == 0

    result = runner.invoke(args=["keys", "revoke", header_of(tokens.access_token)["kid"]])

    assert result.exit_code == 0, result.output
    assert_unauthorized(client.get(ME, headers=tokens.headers), "unauthorized")
    assert client.get(ME, headers=login(client, user).headers).status_code == 200


def test_without_a_signing_key_login_is_503_with_retry_after_and_makes_no_key(
    app: Flask, client: FlaskClient, user: Account
) -> None:
    with app.app_context():
        db.session.execute(sa.delete(SigningKey))
        db.session.commit()
        container().keys.invalidate()

    response = client.post(LOGIN, json={"email": user.email, "password": user.password})

    assert_problem(response, 503, "service_unavailable")
    assert response.headers["Retry-After"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SigningKey)) == 0


def test_a_refresh_token_signed_with_the_key_set_is_refused_at_refresh(
    app: Flask, client: FlaskClient, user_tokens: Tokens
) -> None:
    # Refresh tokens never carry a kid: one that does is a forgery, whatever it names.
    real = signer(app)
    forged = signed(
        {**claims_of(user_tokens.refresh_token), "iss": ISSUER, "aud": AUDIENCE}, real.key, "EdDSA", real.kid
    )

    assert_unauthorized(client.post(REFRESH, headers=bearer(forged)), "unauthorized")
