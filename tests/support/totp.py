"""The second factor from the client's side: an authenticator app (a real pyotp.TOTP over the secret
the API returned) and a clock the test moves, installed into the app so both agree on the time."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from app.composition import container, install
from app.domain.clock import utcnow
from tests.support.accounts import Account, Tokens

MFA = "/api/v1/auth/mfa"
ENROL = "/api/v1/auth/mfa/totp"
CONFIRM = "/api/v1/auth/mfa/totp/confirm"
DISABLE = "/api/v1/auth/mfa/totp/disable"
RECOVERY = "/api/v1/auth/mfa/recovery-codes"
VERIFY = "/api/v1/auth/mfa/verify"
STEP = timedelta(seconds=30)


class MovableClock:
    """The app's clock, moved only by the test; it starts at the beginning of a TOTP step."""

    def __init__(self) -> None:
        now = utcnow()
        self.now = now - timedelta(seconds=now.timestamp() % 30, microseconds=now.microsecond)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def install_clock(app: Flask) -> MovableClock:
    clock = MovableClock()
    with app.app_context():
        install(app, dataclasses.replace(container(), clock=clock))
    return clock


@dataclass
class Authenticator:
    """An authenticator app holding one account's secret."""

    secret: str
    clock: MovableClock

    def code(self, steps: int = 0) -> str:
        """The code of the current step, or of `steps` steps from it."""
        return pyotp.TOTP(self.secret).at(self.clock.now + steps * STEP)


def enrol(client: FlaskClient, tokens: Tokens, account: Account) -> str:
    response = client.post(ENROL, json={"password": account.password}, headers=tokens.headers)
    assert response.status_code == 201, response.get_json()
    secret: str = response.get_json()["secret"]
    return secret


def enable(
    client: FlaskClient, tokens: Tokens, account: Account, clock: MovableClock
) -> tuple[Authenticator, list[str]]:
    """Enrol and confirm: the account's second factor is on; its app and recovery codes."""
    app = Authenticator(enrol(client, tokens, account), clock)
    response = client.post(CONFIRM, json={"code": app.code()}, headers=tokens.headers)
    assert response.status_code == 200, response.get_json()
    codes: list[str] = response.get_json()["recovery_codes"]
    # The confirming code's step is spent: later sign-ins in the same test start a step later.
    clock.advance(STEP)
    return app, codes


def start_login(client: FlaskClient, account: Account) -> str:
    """The password step of an account with a second factor: its `mfa_token`."""
    response = client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    assert response.status_code == 401, response.get_json()
    assert response.get_json()["code"] == "mfa_required"
    token: str = response.get_json()["mfa_token"]
    return token
