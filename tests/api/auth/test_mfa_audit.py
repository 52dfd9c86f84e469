"""Every step of a second factor's life is in the audit trail, once, with its actor: enrolment,
confirmation, failed codes, a recovery code used, new recovery codes, turning off, an admin's removal."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.api.auth.helpers import user_url
from tests.support.accounts import Account, Tokens, create_account, login
from tests.support.totp import (
    CONFIRM,
    DISABLE,
    ENROL,
    RECOVERY,
    STEP,
    VERIFY,
    Authenticator,
    enable,
    install_clock,
    start_login,
)

AUDIT = "/api/v1/audit-events"


def trail(client: FlaskClient, admin_tokens: Tokens, account: Account) -> list[tuple[str, str | None]]:
    """(event, actor) oldest first, for events naming the account."""
    response = client.get(
        AUDIT, query_string={"limit": 200, "user_id": str(account.id)}, headers=admin_tokens.headers
    )
    assert response.status_code == 200, response.get_json()
    return [(row["event"], row["actor_id"]) for row in reversed(response.get_json()["items"])]


def wrong(authenticator: Authenticator) -> str:
    return f"{(int(authenticator.code()) + 1) % 1_000_000:06d}"


def test_the_life_of_a_second_factor_is_recorded(
    app: Flask, client: FlaskClient, admin: Account, admin_tokens: Tokens
) -> None:
    clock = install_clock(app)
    account = create_account(app)
    uid, aid = str(account.id), str(admin.id)
    tokens = login(client, account)
    enrolled = client.post(ENROL, json={"password": account.password}, headers=tokens.headers).get_json()
    authenticator = Authenticator(enrolled["secret"], clock)
    assert (
        client.post(CONFIRM, json={"code": wrong(authenticator)}, headers=tokens.headers).status_code == 401
    )
    confirmed = client.post(CONFIRM, json={"code": authenticator.code()}, headers=tokens.headers)
    codes = confirmed.get_json()["recovery_codes"]
    clock.advance(STEP)
    token = start_login(client, account)
    assert client.post(VERIFY, json={"mfa_token": token, "code": wrong(authenticator)}).status_code == 401
    assert client.post(VERIFY, json={"mfa_token": token, "recovery_code": codes[0]}).status_code == 200
    body = {"password": account.password, "code": authenticator.code()}
    assert client.post(RECOVERY, json=body, headers=tokens.headers).status_code == 200
    clock.advance(STEP)
    body = {"password": account.password, "code": authenticator.code()}
    assert client.post(DISABLE, json=body, headers=tokens.headers).status_code == 204
    clock.advance(STEP)
    enable(client, tokens, account, clock)
    assert client.delete(f"{user_url(uid)}/mfa", headers=admin_tokens.headers).status_code == 204

    assert trail(client, admin_tokens, account) == [
        ("user_created", None),
        ("login_succeeded", uid),
        ("mfa_enrolment_started", uid),
        ("mfa_code_failed", uid),
        ("mfa_enabled", uid),
        ("mfa_code_failed", None),
        ("mfa_recovery_code_used", uid),
        ("login_succeeded", uid),
        ("mfa_recovery_codes_regenerated", uid),
        ("mfa_disabled", uid),
        ("mfa_enrolment_started", uid),
        ("mfa_enabled", uid),
        ("mfa_removed_by_admin", aid),
    ]
