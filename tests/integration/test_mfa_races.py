"""The second factor's single-use rules under real parallel requests on PostgreSQL: one mfa_token
raced with different right codes opens one session; one recovery code raced over many logins signs
in once; one TOTP step raced over many logins signs in once. Sessions and spent rows are counted,
not only statuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask

from app.auth.models import AuthSession, MfaChallenge, RecoveryCode, TotpCredential
from app.extensions import db
from tests.conftest import Backend
from tests.support.accounts import Account, create_account
from tests.support.concurrency import Reply, Server, run_together, serve
from tests.support.totp import CONFIRM, ENROL, RECOVERY, STEP, VERIFY, MovableClock, install_clock

CONTENDERS = 10

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"DB_POOL_SIZE": str(CONTENDERS + 4)}


@pytest.fixture
def clock(committed_app: Flask) -> MovableClock:
    return install_clock(committed_app)


@pytest.fixture
def server(backend: Backend, committed_app: Flask, clock: MovableClock) -> Iterator[Server]:
    assert backend.is_postgres
    with serve(committed_app) as running:
        yield running


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def enable(server: Server, account: Account, clock: MovableClock) -> tuple[pyotp.TOTP, list[str]]:
    access = bearer(server.login(account)["access_token"])
    enrolled = server.request("POST", ENROL, body={"password": account.password}, headers=access)
    assert enrolled.status == 201, enrolled.body
    totp = pyotp.TOTP(enrolled.body["secret"])
    confirmed = server.request("POST", CONFIRM, body={"code": totp.at(clock.now)}, headers=access)
    assert confirmed.status == 200, confirmed.body
    clock.advance(STEP)
    return totp, confirmed.body["recovery_codes"]


def mfa_token(server: Server, account: Account) -> str:
    reply = server.request(
        "POST", "/api/v1/auth/login", body={"email": account.email, "password": account.password}
    )
    assert (reply.status, reply.code) == (401, "mfa_required"), reply.body
    token: str = reply.body["mfa_token"]
    return token


def count(app: Flask, statement: sa.Select[Any]) -> int:
    with app.app_context():
        value = db.session.scalar(statement)
        db.session.remove()
    return int(value or 0)


def sessions_of(app: Flask, account: Account) -> int:
    return count(
        app, sa.select(sa.func.count()).select_from(AuthSession).where(AuthSession.user_id == account.id)
    )


def outcomes(replies: list[Reply]) -> list[tuple[int, str | None]]:
    return sorted((reply.status, reply.code) for reply in replies)


def test_one_mfa_token_raced_with_different_right_codes_opens_one_session(
    server: Server, committed_app: Flask, clock: MovableClock
) -> None:
    account = create_account(committed_app)
    _, codes = enable(server, account, clock)
    token = mfa_token(server, account)
    before = sessions_of(committed_app, account)

    replies = run_together(
        CONTENDERS,
        lambda i: server.request("POST", VERIFY, body={"mfa_token": token, "recovery_code": codes[i]}),
    )

    assert outcomes(replies) == [(200, None)] + [(401, "mfa_token_invalid")] * (CONTENDERS - 1)
    assert sessions_of(committed_app, account) == before + 1
    # The losers' codes were spent only in transactions that rolled back: one code is used.
    used = sa.select(sa.func.count()).select_from(RecoveryCode)
    assert (
        count(
            committed_app, used.where(RecoveryCode.user_id == account.id, RecoveryCode.used_at.is_not(None))
        )
        == 1
    )
    assert (
        count(
            committed_app,
            sa.select(sa.func.count()).select_from(MfaChallenge).where(MfaChallenge.used_at.is_not(None)),
        )
        == 1
    )


def test_one_recovery_code_raced_over_many_logins_signs_in_once(
    server: Server, committed_app: Flask, clock: MovableClock
) -> None:
    account = create_account(committed_app)
    _, codes = enable(server, account, clock)
    tokens = [mfa_token(server, account) for _ in range(CONTENDERS)]
    before = sessions_of(committed_app, account)

    replies = run_together(
        CONTENDERS,
        lambda i: server.request("POST", VERIFY, body={"mfa_token": tokens[i], "recovery_code": codes[0]}),
    )

    assert outcomes(replies) == [(200, None)] + [(401, "invalid_otp")] * (CONTENDERS - 1)
    assert sessions_of(committed_app, account) == before + 1
    used = sa.select(sa.func.count()).select_from(RecoveryCode)
    assert (
        count(
            committed_app, used.where(RecoveryCode.user_id == account.id, RecoveryCode.used_at.is_not(None))
        )
        == 1
    )


def test_one_totp_step_raced_over_many_logins_signs_in_once(
    server: Server, committed_app: Flask, clock: MovableClock
) -> None:
    account = create_account(committed_app)
    totp, _ = enable(server, account, clock)
    tokens = [mfa_token(server, account) for _ in range(CONTENDERS)]
    before = sessions_of(committed_app, account)
    code = totp.at(clock.now)

    replies = run_together(
        CONTENDERS, lambda i: server.request("POST", VERIFY, body={"mfa_token": tokens[i], "code": code})
    )

    assert outcomes(replies) == [(200, None)] + [(401, "invalid_otp")] * (CONTENDERS - 1)
    assert sessions_of(committed_app, account) == before + 1
    step = sa.select(TotpCredential.last_used_step).where(TotpCredential.user_id == account.id)
    assert count(committed_app, step) == totp.timecode(clock.now)


def test_new_recovery_codes_raced_with_different_codes_leave_one_set_of_ten(
    server: Server, committed_app: Flask, clock: MovableClock
) -> None:
    account = create_account(committed_app)
    access = bearer(server.login(account)["access_token"])
    _, codes = enable(server, account, clock)

    replies = run_together(
        CONTENDERS,
        lambda i: server.request(
            "POST", RECOVERY, body={"password": account.password, "code": codes[i]}, headers=access
        ),
    )

    assert outcomes(replies) == [(200, None)] + [(401, "invalid_otp")] * (CONTENDERS - 1)
    [winner] = [reply for reply in replies if reply.status == 200]
    stored = sa.select(sa.func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == account.id)
    assert count(committed_app, stored) == 10
    assert count(committed_app, stored.where(RecoveryCode.used_at.is_(None))) == 10
    assert len(winner.body["recovery_codes"]) == 10


def test_first_enrolments_raced_leave_one_pending_secret_and_no_server_error(
    server: Server, committed_app: Flask
) -> None:
    account = create_account(committed_app)
    access = bearer(server.login(account)["access_token"])

    replies = run_together(
        CONTENDERS,
        lambda _: server.request("POST", ENROL, body={"password": account.password}, headers=access),
    )

    assert {reply.status for reply in replies} <= {201, 409}
    assert any(reply.status == 201 for reply in replies)
    stored = (
        sa.select(sa.func.count()).select_from(TotpCredential).where(TotpCredential.user_id == account.id)
    )
    assert count(committed_app, stored) == 1
