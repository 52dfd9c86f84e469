"""Each rule of a reset confirmation on its own.

A confirmation changes the password, so the password fingerprint a token carries stops matching
and refuses any later use of every token of the account. That rule would hide the others: these
tests put the fingerprint back in step with the current password before the token is tried again,
so what refuses it is the rule under test (single use, the other links ending, the account being
disabled), not the fingerprint. Real commits, the in-process job queue and a loopback SMTP server,
as in test_password_reset.py; the race runs real concurrent requests on PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.audit.models import AuditEvent
from app.auth.models import AuthSession, PasswordResetToken
from app.auth.password_reset import digest
from app.extensions import db
from app.users.models import User
from tests.api.auth.helpers import FRONTEND, LOGIN, assert_problem, user_url
from tests.conftest import Backend
from tests.support.accounts import Account, create_account, login
from tests.support.concurrency import Reply, Server, run_together, serve
from tests.support.smtp_server import SmtpServer, token_in

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
RESET_SUBJECT = "Reset your password"
NEW_PASSWORD = "Amber-Lighthouse-Otter-17"
OTHER_PASSWORD = "Copper-Meadow-Falcon-29"
CONTENDERS = 8


@pytest.fixture
def app_overrides(smtp: SmtpServer) -> dict[str, Any]:
    # A connection for every contender of the race at once: they meet in PostgreSQL, not in the pool.
    return {"SMTP_URL": smtp.url, "FRONTEND_URL": FRONTEND, "DB_POOL_SIZE": str(CONTENDERS + 4)}


@pytest.fixture
def live(committed_app: Flask) -> Flask:
    return committed_app


@pytest.fixture
def web(live: Flask) -> FlaskClient:
    return live.test_client()


def mailed_token(web: FlaskClient, smtp: SmtpServer, account: Account) -> str:
    before = len(smtp.with_subject(RESET_SUBJECT))
    response = web.post(RESET, json={"email": account.email})
    assert response.status_code == 202, response.get_json()
    return token_in(smtp.wait_for(before + 1, subject=RESET_SUBJECT)[before])


def confirm(web: FlaskClient, token: str, password: str) -> int:
    return web.post(CONFIRM, json={"token": token, "new_password": password}).status_code


def stored_user(app: Flask, user_id: uuid.UUID) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


def match_fingerprints_to_current_password(app: Flask, user_id: uuid.UUID) -> None:
    """Every token of the user now names the password the account has: the fingerprint rule passes."""
    current = digest(stored_user(app, user_id).password_hash)
    with app.app_context():
        db.session.execute(
            sa.update(PasswordResetToken)
            .where(PasswordResetToken.user_id == user_id)
            .values(password_fingerprint=current)
        )
        db.session.commit()


def password_resets_recorded(app: Flask, user_id: uuid.UUID) -> int:
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.event == "password_reset", AuditEvent.subject_id == user_id)
        )
    return int(count or 0)


def can_log_in(web: FlaskClient, account: Account, password: str) -> bool:
    return web.post(LOGIN, json={"email": account.email, "password": password}).status_code == 200


def test_a_used_token_is_refused_even_when_its_fingerprint_matches_the_password(
    live: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    account = create_account(live)
    token = mailed_token(web, smtp, account)
    assert confirm(web, token, NEW_PASSWORD) == 204
    match_fingerprints_to_current_password(live, account.id)
    changed = stored_user(live, account.id)

    assert_problem(
        web.post(CONFIRM, json={"token": token, "new_password": OTHER_PASSWORD}), 400, "invalid_token"
    )

    after = stored_user(live, account.id)
    assert (after.password_hash, after.version) == (changed.password_hash, changed.version)
    assert password_resets_recorded(live, account.id) == 1
    assert can_log_in(web, account, NEW_PASSWORD)
    assert not can_log_in(web, account, OTHER_PASSWORD)


def test_a_reset_ends_the_other_mailed_links_even_when_their_fingerprint_matches(
    live: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    account = create_account(live)
    first = mailed_token(web, smtp, account)
    second = mailed_token(web, smtp, account)
    stranger = create_account(live)
    strangers_token = mailed_token(web, smtp, stranger)
    assert confirm(web, second, NEW_PASSWORD) == 204
    match_fingerprints_to_current_password(live, account.id)

    assert_problem(
        web.post(CONFIRM, json={"token": first, "new_password": OTHER_PASSWORD}), 400, "invalid_token"
    )

    assert password_resets_recorded(live, account.id) == 1
    assert can_log_in(web, account, NEW_PASSWORD)
    # Only the account's own links end: another account's mailed link still works.
    assert confirm(web, strangers_token, OTHER_PASSWORD) == 204
    assert can_log_in(web, stranger, OTHER_PASSWORD)


def test_a_token_of_an_account_disabled_after_the_mail_is_refused(
    live: Flask, web: FlaskClient, smtp: SmtpServer
) -> None:
    account = create_account(live)
    token = mailed_token(web, smtp, account)
    admin = create_account(live, role="admin")
    disabled = web.patch(user_url(account.id), json={"is_active": False}, headers=login(web, admin).headers)
    assert disabled.status_code == 200, disabled.get_json()
    before = stored_user(live, account.id)
    # Disabling leaves the password, so the token's fingerprint still matches: only the account's
    # state can refuse it.
    with live.app_context():
        fingerprint = db.session.scalar(
            sa.select(PasswordResetToken.password_fingerprint).where(PasswordResetToken.user_id == account.id)
        )
    assert fingerprint == digest(before.password_hash)

    assert_problem(
        web.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}), 400, "invalid_token"
    )

    after = stored_user(live, account.id)
    assert (after.password_hash, after.version, after.is_active) == (
        before.password_hash,
        before.version,
        False,
    )
    assert password_resets_recorded(live, account.id) == 0


@pytest.fixture
def server(backend: Backend, live: Flask) -> Iterator[Server]:
    assert backend.is_postgres, "concurrency claims rest on PostgreSQL row locks"
    with serve(live) as running:
        yield running


@pytest.mark.postgres_only
def test_two_confirmations_of_one_token_at_once_change_the_password_once(
    server: Server, smtp: SmtpServer
) -> None:
    app = server.app
    account = create_account(app)
    for _ in range(2):
        server.login(account)
    assert server.request("POST", RESET, body={"email": account.email}).status == 202
    token = token_in(smtp.wait_for(1, subject=RESET_SUBJECT)[0])
    version_before = stored_user(app, account.id).version
    passwords = [f"{NEW_PASSWORD}-{index}" for index in range(CONTENDERS)]

    replies: list[Reply] = run_together(
        CONTENDERS,
        lambda i: server.request("POST", CONFIRM, body={"token": token, "new_password": passwords[i]}),
    )

    outcomes = sorted((reply.status, reply.code) for reply in replies)
    assert outcomes == [(204, None)] + [(400, "invalid_token")] * (CONTENDERS - 1), outcomes
    winner = passwords[next(i for i, reply in enumerate(replies) if reply.status == 204)]
    # The password was written once, by the winner, and the reset happened once.
    assert stored_user(app, account.id).version == version_before + 1
    assert password_resets_recorded(app, account.id) == 1
    with app.app_context():
        revoked = db.session.scalars(
            sa.select(AuthSession.revoked_reason).where(AuthSession.user_id == account.id)
        ).all()
    assert revoked == ["password_reset", "password_reset"]
    logins = {
        password: server.request("POST", LOGIN, body={"email": account.email, "password": password}).status
        for password in passwords
    }
    assert logins == {password: 200 if password == winner else 401 for password in passwords}
