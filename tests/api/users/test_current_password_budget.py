"""`current_password` draws on the budget of the caller's own session, never on the account's shared
login budget: a stranger spending that one cannot block the signed-in owner's account changes, and
a stolen access token buys only its session's small budget, refreshing or not.

Over HTTP through the test client, with the limits in memory and on Redis."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.api.auth.helpers import LOGIN, REFRESH, bearer
from tests.api.users.helpers import assert_problem, user_url
from tests.support.accounts import Account, Tokens, login, unique_email

SHARED_BUDGET = 3
SESSION_BUDGET = 2
WRONG = "Not-The-Password-99"
AUDIT = "/api/v1/audit-events"


@pytest.fixture
def app_overrides(limiter_storage: dict[str, str]) -> dict[str, Any]:
    return {
        **limiter_storage,
        "RATELIMIT_LOGIN_EMAIL": f"{SHARED_BUDGET} per 15 minutes",
        "RATELIMIT_LOGIN_DEVICE": f"{SESSION_BUDGET} per 15 minutes",
        "RATELIMIT_LOGIN_IP": "1000 per minute",
        "RATELIMIT_REGISTER": "1000 per minute",
        "RATELIMIT_REFRESH": "1000 per minute",
        "RATELIMIT_DEFAULT": "1000 per minute",
    }


def change_email(
    client: FlaskClient, account: Account, tokens: Tokens, current_password: str
) -> TestResponse:
    body = {"email": unique_email("moved"), "current_password": current_password}
    return client.patch(user_url(account.id), json=body, headers=tokens.headers)


def spend_the_shared_budget(app: Flask, account: Account) -> None:
    """A stranger guesses logins until the account's shared budget is gone."""
    stranger = app.test_client()
    for _ in range(SHARED_BUDGET):
        wrong = stranger.post(LOGIN, json={"email": account.email, "password": WRONG})
        assert wrong.status_code == 401
    right = stranger.post(LOGIN, json={"email": account.email, "password": account.password})
    assert_problem(right, 429, "rate_limited")


def test_a_stranger_spending_the_shared_budget_never_blocks_the_owners_changes(
    app: Flask, user: Account
) -> None:
    owner = app.test_client()
    tokens = login(owner, user)
    spend_the_shared_budget(app, user)

    # More right checks than the session's budget: a right password gives its attempt back.
    for n in range(SESSION_BUDGET + 1):
        new_password = f"Amber-Lighthouse-Otter-{n}"
        body = {"password": new_password, "current_password": user.password}
        response = owner.patch(user_url(user.id), json=body, headers=tokens.headers)
        assert response.status_code == 200, response.get_json()
        user.password = new_password
    response = change_email(owner, user, tokens, user.password)
    assert response.status_code == 200, response.get_json()


def audit_counts(app: Flask, admin: Account, subject: Account) -> dict[str, int]:
    admin_client = app.test_client()
    tokens = login(admin_client, admin)
    counts = {}
    for event in ("current_password_wrong", "password_check_refused"):
        query = {"event": event, "user_id": str(subject.id)}
        response = admin_client.get(AUDIT, query_string=query, headers=tokens.headers)
        assert response.status_code == 200, response.get_json()
        counts[event] = len(response.get_json()["items"])
    return counts


def test_a_sessions_budget_holds_for_that_session_only(app: Flask, user: Account, admin: Account) -> None:
    thief = app.test_client()
    stolen = login(thief, user)
    for _ in range(SESSION_BUDGET):
        assert_problem(change_email(thief, user, stolen, WRONG), 403, "invalid_current_password")
    assert_problem(change_email(thief, user, stolen, WRONG), 429, "rate_limited")
    spent = change_email(thief, user, stolen, user.password)
    assert_problem(spent, 429, "rate_limited")
    assert int(spent.headers["Retry-After"]) >= 1

    # A refreshed access token is the same session: no new budget.
    refreshed = thief.post(REFRESH, headers=bearer(stolen.refresh_token))
    assert refreshed.status_code == 200, refreshed.get_json()
    renewed = Tokens(refreshed.get_json()["access_token"], refreshed.get_json()["refresh_token"])
    assert_problem(change_email(thief, user, renewed, user.password), 429, "rate_limited")

    # The owner's other session has a budget of its own, and the shared login budget is untouched.
    owner = app.test_client()
    tokens = login(owner, user)
    assert_problem(change_email(owner, user, tokens, WRONG), 403, "invalid_current_password")
    response = change_email(owner, user, tokens, user.password)
    assert response.status_code == 200, response.get_json()
    stranger = app.test_client()
    for _ in range(SHARED_BUDGET):
        assert (
            stranger.post(LOGIN, json={"email": response.get_json()["email"], "password": WRONG}).status_code
            == 401
        )

    assert audit_counts(app, admin, user) == {
        "current_password_wrong": SESSION_BUDGET + 1,
        "password_check_refused": 3,
    }
