"""Recent authentication: access tokens say when their session last proved the password
(`auth_time`) and how (`amr`); a refresh carries both on; POST /auth/reauthenticate proves it again
within the session; deleting one's own account needs a recent proof.

Over HTTP, on SQLite and PostgreSQL, with the app's clock replaced by one the test moves (token
lifetimes still follow the real time; only `auth_time` and the freshness rule read this clock)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.models import AuthSession
from app.composition import container, install
from app.domain.clock import utcnow
from app.extensions import db
from tests.api.auth.helpers import (
    FOREIGN_KEY,
    ME,
    REFRESH,
    assert_problem,
    assert_unauthorized,
    bearer,
    claims_of,
    resign,
    user_url,
)
from tests.fakes import FakeClock
from tests.support.accounts import Account, Tokens, create_account, login

REAUTHENTICATE = "/api/v1/auth/reauthenticate"
AUDIT = "/api/v1/audit-events"
MAX_AGE = 120
SESSION_BUDGET = 3
WRONG = "Not-The-Password-99"


@pytest.fixture
def app_overrides(limiter_storage: dict[str, str]) -> dict[str, Any]:
    return {
        **limiter_storage,
        "REAUTH_MAX_AGE_SECONDS": str(MAX_AGE),
        "RATELIMIT_LOGIN_DEVICE": f"{SESSION_BUDGET} per 15 minutes",
        "RATELIMIT_LOGIN_IP": "1000 per minute",
        "RATELIMIT_REFRESH": "1000 per minute",
        "RATELIMIT_DEFAULT": "1000 per minute",
    }


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    """The app's clock, from now (whole seconds, as `auth_time` carries them) until the test moves it."""
    moved = FakeClock(utcnow().replace(microsecond=0))
    with app.app_context():
        install(app, replace(container(), clock=moved))
    return moved


def tokens_of(body: dict[str, Any]) -> Tokens:
    return Tokens(access_token=body["access_token"], refresh_token=body["refresh_token"])


def reauthenticate(client: FlaskClient, tokens: Tokens, password: str, **extra: Any) -> Any:
    return client.post(REAUTHENTICATE, json={"password": password, **extra}, headers=tokens.headers)


def stored_session(app: Flask, sid: str) -> AuthSession:
    with app.app_context():
        session = db.session.get(AuthSession, uuid.UUID(sid))
        assert session is not None
        db.session.remove()
        return session


# the claims


def test_a_login_token_says_the_password_was_proved_at_the_login(
    client: FlaskClient, user: Account, clock: FakeClock
) -> None:
    claims = claims_of(login(client, user).access_token)

    assert claims["auth_time"] == int(clock.now.timestamp())
    assert claims["amr"] == ["pwd"]


def test_a_refresh_keeps_the_logins_auth_time_not_the_refresh_time(
    client: FlaskClient, user: Account, clock: FakeClock
) -> None:
    tokens = login(client, user)
    logged_in = int(clock.now.timestamp())
    clock.advance(timedelta(hours=2))

    response = client.post(REFRESH, headers=tokens.refresh_headers)

    assert response.status_code == 200, response.get_json()
    claims = claims_of(response.get_json()["access_token"])
    assert claims["auth_time"] == logged_in
    assert claims["amr"] == ["pwd"]
    assert "auth_time" not in claims_of(response.get_json()["refresh_token"])


# POST /auth/reauthenticate


def test_reauthenticate_issues_a_token_for_the_same_session_with_a_fresh_auth_time(
    app: Flask, client: FlaskClient, user: Account, clock: FakeClock
) -> None:
    tokens = login(client, user)
    clock.advance(timedelta(hours=1))

    response = reauthenticate(client, tokens, user.password)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    claims, before = claims_of(body["access_token"]), claims_of(tokens.access_token)
    assert claims["sid"] == before["sid"]
    assert claims["sub"] == before["sub"]
    assert claims["auth_time"] == int(clock.now.timestamp())
    assert claims["amr"] == ["pwd"]
    assert client.get(ME, headers=bearer(body["access_token"])).status_code == 200
    assert stored_session(app, claims["sid"]).authenticated_at == clock.now


def test_a_refresh_after_reauthenticating_carries_the_fresh_auth_time(
    client: FlaskClient, user: Account, clock: FakeClock
) -> None:
    tokens = login(client, user)
    clock.advance(timedelta(hours=1))
    assert reauthenticate(client, tokens, user.password).status_code == 200
    reauthenticated = int(clock.now.timestamp())
    clock.advance(timedelta(hours=1))

    # The refresh token is the one from the login: reauthenticating leaves it as it was.
    response = client.post(REFRESH, headers=tokens.refresh_headers)

    assert response.status_code == 200, response.get_json()
    assert claims_of(response.get_json()["access_token"])["auth_time"] == reauthenticated


def test_reauthenticate_with_a_wrong_password_is_403_and_changes_nothing(
    app: Flask, client: FlaskClient, user: Account, clock: FakeClock
) -> None:
    tokens = login(client, user)
    logged_in = clock.now
    clock.advance(timedelta(hours=1))

    body = assert_problem(reauthenticate(client, tokens, WRONG), 403, "invalid_current_password")

    assert "access_token" not in body
    assert stored_session(app, claims_of(tokens.access_token)["sid"]).authenticated_at == logged_in


def test_reauthenticate_spends_the_sessions_budget_then_refuses_even_the_right_password(
    app: Flask, client: FlaskClient, user: Account, admin: Account, clock: FakeClock
) -> None:
    tokens = login(client, user)
    for _ in range(SESSION_BUDGET):
        assert_problem(reauthenticate(client, tokens, WRONG), 403, "invalid_current_password")

    spent = reauthenticate(client, tokens, user.password)

    assert_problem(spent, 429, "rate_limited")
    assert int(spent.headers["Retry-After"]) >= 1
    # The same budget as `current_password`: a change of password is refused too.
    change = client.patch(
        user_url(user.id),
        json={"password": "Amber-Lighthouse-Otter-7", "current_password": user.password},
        headers=tokens.headers,
    )
    assert_problem(change, 429, "rate_limited")
    # Another session of the account has a budget of its own.
    other = login(app.test_client(), user)
    assert reauthenticate(app.test_client(), other, user.password).status_code == 200
    assert audit_counts(app, admin, user) == {
        "current_password_wrong": SESSION_BUDGET,
        "password_check_refused": 2,
        "reauthenticated": 1,
    }


def test_current_password_failures_spend_the_budget_reauthentication_draws_on(
    client: FlaskClient, user: Account, clock: FakeClock
) -> None:
    tokens = login(client, user)
    for _ in range(SESSION_BUDGET):
        change = client.patch(
            user_url(user.id),
            json={"password": "Amber-Lighthouse-Otter-7", "current_password": WRONG},
            headers=tokens.headers,
        )
        assert_problem(change, 403, "invalid_current_password")

    assert_problem(reauthenticate(client, tokens, user.password), 429, "rate_limited")


def test_a_right_password_gives_its_attempt_back(
    client: FlaskClient, user: Account, clock: FakeClock
) -> None:
    tokens = login(client, user)
    for _ in range(SESSION_BUDGET + 2):
        assert reauthenticate(client, tokens, user.password).status_code == 200


def audit_counts(app: Flask, admin: Account, subject: Account) -> dict[str, int]:
    admin_client = app.test_client()
    tokens = login(admin_client, admin)
    counts = {}
    for event in ("current_password_wrong", "password_check_refused", "reauthenticated"):
        query = {"event": event, "user_id": str(subject.id)}
        response = admin_client.get(AUDIT, query_string=query, headers=tokens.headers)
        assert response.status_code == 200, response.get_json()
        counts[event] = len(response.get_json()["items"])
    return counts


def test_reauthenticate_needs_a_valid_access_token(
    app: Flask, client: FlaskClient, user: Account, clock: FakeClock
) -> None:
    tokens = login(client, user)
    body = {"password": user.password}

    assert_unauthorized(app.test_client().post(REAUTHENTICATE, json=body), "unauthorized")
    forged = resign(app, tokens.access_token, key=FOREIGN_KEY)
    assert_unauthorized(client.post(REAUTHENTICATE, json=body, headers=bearer(forged)), "unauthorized")
    refresh = client.post(REAUTHENTICATE, json=body, headers=tokens.refresh_headers)
    assert_unauthorized(refresh, "unauthorized")
    client.post("/api/v1/auth/logout", headers=tokens.headers)
    assert_unauthorized(client.post(REAUTHENTICATE, json=body, headers=tokens.headers), "token_revoked")


@pytest.mark.parametrize(
    "body", [{}, {"password": ""}, {"password": 12}, {"password": "x" * 129}, {"password": "p", "code": ""}]
)
def test_reauthenticate_refuses_an_invalid_body(
    client: FlaskClient, user: Account, clock: FakeClock, body: dict[str, Any]
) -> None:
    tokens = login(client, user)
    assert_problem(client.post(REAUTHENTICATE, json=body, headers=tokens.headers), 422, "validation_error")


# deleting one's own account


def test_deleting_ones_own_account_with_a_stale_auth_time_is_403_and_deletes_nothing(
    app: Flask, client: FlaskClient, user: Account, clock: FakeClock
) -> None:
    tokens = login(client, user)
    clock.advance(timedelta(seconds=MAX_AGE + 1))

    body = assert_problem(
        client.delete(user_url(user.id), headers=tokens.headers), 403, "reauthentication_required"
    )

    assert "/auth/reauthenticate" in body["detail"]
    assert client.get(ME, headers=tokens.headers).status_code == 200


def test_deleting_ones_own_account_within_the_max_age_is_204(
    client: FlaskClient, user: Account, clock: FakeClock
) -> None:
    tokens = login(client, user)
    clock.advance(timedelta(seconds=MAX_AGE))

    assert client.delete(user_url(user.id), headers=tokens.headers).status_code == 204


def test_deleting_ones_own_account_after_reauthenticating_is_204(
    app: Flask, client: FlaskClient, user: Account, admin: Account, clock: FakeClock
) -> None:
    tokens = login(client, user)
    clock.advance(timedelta(hours=3))
    assert_problem(client.delete(user_url(user.id), headers=tokens.headers), 403, "reauthentication_required")

    renewed = reauthenticate(client, tokens, user.password).get_json()["access_token"]

    assert client.delete(user_url(user.id), headers=bearer(renewed)).status_code == 204
    admin_tokens = login(app.test_client(), admin)
    assert_problem(client.get(user_url(user.id), headers=admin_tokens.headers), 404, "not_found")


def test_a_refresh_does_not_make_a_stale_session_recent(
    client: FlaskClient, user: Account, clock: FakeClock
) -> None:
    tokens = login(client, user)
    clock.advance(timedelta(hours=3))
    refreshed = client.post(REFRESH, headers=tokens.refresh_headers).get_json()

    response = client.delete(user_url(user.id), headers=bearer(refreshed["access_token"]))

    assert_problem(response, 403, "reauthentication_required")


def test_an_admin_deletes_another_account_without_a_recent_proof(
    app: Flask, client: FlaskClient, admin: Account, clock: FakeClock
) -> None:
    other = create_account(app)
    tokens = login(client, admin)
    clock.advance(timedelta(days=1))

    assert client.delete(user_url(other.id), headers=tokens.headers).status_code == 204


def test_an_admin_deleting_their_own_account_needs_a_recent_proof(
    app: Flask, client: FlaskClient, admin: Account, clock: FakeClock
) -> None:
    create_account(app, role="admin")
    tokens = login(client, admin)
    clock.advance(timedelta(seconds=MAX_AGE + 1))

    response = client.delete(user_url(admin.id), headers=tokens.headers)

    assert_problem(response, 403, "reauthentication_required")


# tokens issued before `auth_time` and `amr`


def test_a_token_without_the_claims_still_reads_but_cannot_delete_its_account(
    app: Flask, client: FlaskClient, user: Account, clock: FakeClock
) -> None:
    old_style = bearer(resign(app, login(client, user).access_token, drop=["auth_time", "amr"]))

    assert client.get(ME, headers=old_style).status_code == 200
    response = client.delete(user_url(user.id), headers=old_style)

    assert_problem(response, 403, "reauthentication_required")
    assert client.get(ME, headers=old_style).status_code == 200


def test_a_token_without_the_claims_may_reauthenticate(
    app: Flask, client: FlaskClient, user: Account, clock: FakeClock
) -> None:
    old = login(client, user)
    old_style = Tokens(resign(app, old.access_token, drop=["auth_time", "amr"]), old.refresh_token)

    response = reauthenticate(client, old_style, user.password)

    assert response.status_code == 200, response.get_json()
    claims = claims_of(response.get_json()["access_token"])
    assert claims["sid"] == claims_of(old.access_token)["sid"]
    assert (
        client.delete(user_url(user.id), headers=bearer(response.get_json()["access_token"])).status_code
        == 204
    )
