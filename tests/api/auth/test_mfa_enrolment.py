"""TOTP enrolment over HTTP: a pending secret, a first code from a real authenticator (pyotp) turns
it on and shows ten recovery codes once; the status never shows a secret or a code; the secret is
encrypted at rest."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.auth.models import RecoveryCode, TotpCredential
from app.composition import container
from app.extensions import db
from tests.api.auth.helpers import assert_problem, assert_unauthorized
from tests.support.accounts import Account, Tokens
from tests.support.totp import CONFIRM, ENROL, MFA, STEP, Authenticator, enable, enrol, install_clock


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"MFA_ISSUER": "Keel Test"}


def test_enrolment_returns_a_160_bit_secret_and_its_otpauth_uri(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    response = client.post(ENROL, json={"password": user.password}, headers=user_tokens.headers)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"secret", "otpauth_uri"}
    assert len(base64.b32decode(body["secret"])) * 8 >= 160
    uri = urlsplit(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/Keel Test:{user.email}"
    query = parse_qs(uri.query)
    assert query["secret"] == [body["secret"]]
    assert query["issuer"] == ["Keel Test"]


def test_the_secret_is_stored_encrypted(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    secret = enrol(client, user_tokens, user)

    with app.app_context():
        stored = db.session.scalars(sa.select(TotpCredential).where(TotpCredential.user_id == user.id)).one()
        assert secret not in stored.secret_ciphertext
        assert container().secret_box.decrypt(stored.secret_ciphertext) == secret
        assert stored.confirmed_at is None


def test_a_first_code_turns_the_second_factor_on_and_shows_ten_recovery_codes_once(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    clock = install_clock(app)
    authenticator = Authenticator(enrol(client, user_tokens, user), clock)
    assert client.get(MFA, headers=user_tokens.headers).get_json() == {
        "totp_enabled": False,
        "recovery_codes_remaining": 0,
    }

    response = client.post(CONFIRM, json={"code": authenticator.code()}, headers=user_tokens.headers)

    assert response.status_code == 200, response.get_json()
    codes = response.get_json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    status = client.get(MFA, headers=user_tokens.headers)
    assert status.get_json() == {"totp_enabled": True, "recovery_codes_remaining": 10}
    with app.app_context():
        hashes = db.session.scalars(
            sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
        ).all()
    assert len(hashes) == 10
    assert not set(codes) & set(hashes)


def test_a_wrong_code_leaves_the_enrolment_pending(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    clock = install_clock(app)
    authenticator = Authenticator(enrol(client, user_tokens, user), clock)
    wrong = f"{(int(authenticator.code()) + 1) % 1_000_000:06d}"

    assert_unauthorized(
        client.post(CONFIRM, json={"code": wrong}, headers=user_tokens.headers), "invalid_otp"
    )
    assert_unauthorized(
        client.post(CONFIRM, json={"code": authenticator.code(2)}, headers=user_tokens.headers), "invalid_otp"
    )

    assert client.get(MFA, headers=user_tokens.headers).get_json()["totp_enabled"] is False
    assert (
        client.post(CONFIRM, json={"code": authenticator.code()}, headers=user_tokens.headers).status_code
        == 200
    )


def test_confirming_without_a_pending_enrolment_is_a_conflict(
    client: FlaskClient, user_tokens: Tokens
) -> None:
    response = client.post(CONFIRM, json={"code": "123456"}, headers=user_tokens.headers)

    assert_problem(response, 409, "mfa_not_pending")


def test_an_account_with_the_second_factor_on_cannot_enrol_again(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    clock = install_clock(app)
    enable(client, user_tokens, user, clock)

    response = client.post(ENROL, json={"password": user.password}, headers=user_tokens.headers)

    assert_problem(response, 409, "mfa_already_enabled")
    assert_problem(
        client.post(CONFIRM, json={"code": "123456"}, headers=user_tokens.headers), 409, "mfa_not_pending"
    )


def test_a_wrong_password_refuses_the_enrolment(client: FlaskClient, user_tokens: Tokens) -> None:
    response = client.post(ENROL, json={"password": "Not-The-Password-99"}, headers=user_tokens.headers)

    assert_problem(response, 403, "invalid_current_password")
    assert client.get(MFA, headers=user_tokens.headers).get_json()["totp_enabled"] is False


def test_enrolling_again_replaces_the_pending_secret(
    app: Flask, client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    clock = install_clock(app)
    first = Authenticator(enrol(client, user_tokens, user), clock)
    second = Authenticator(enrol(client, user_tokens, user), clock)

    assert_unauthorized(
        client.post(CONFIRM, json={"code": first.code()}, headers=user_tokens.headers), "invalid_otp"
    )
    assert client.post(CONFIRM, json={"code": second.code()}, headers=user_tokens.headers).status_code == 200
    clock.advance(STEP)


@pytest.mark.parametrize(("method", "path"), [("get", MFA), ("post", ENROL), ("post", CONFIRM)])
def test_the_second_factor_endpoints_need_an_access_token(
    client: FlaskClient, method: str, path: str
) -> None:
    response = getattr(client, method)(path, json={"password": "x", "code": "123456"})

    assert response.status_code == 401
