"""The audit trail: each account event recorded once with its actor, subject and request, nothing
recorded for a change that did not happen, and the admin listing with its filters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.composition import container
from tests.api.auth.helpers import LOGIN, assert_problem, bearer, user_url
from tests.support.accounts import DEFAULT_PASSWORD, Account, Tokens, create_account, login, unique_email
from tests.support.logs import ProductionLog

AUDIT = "/api/v1/audit-events"
NEW_PASSWORD = "Copper-Meadow-Falcon-29"


def events(client: FlaskClient, admin_tokens: Tokens, **query: Any) -> list[dict[str, Any]]:
    response = client.get(AUDIT, query_string={"limit": 200, **query}, headers=admin_tokens.headers)
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["items"])


def of_user(
    client: FlaskClient, admin_tokens: Tokens, account: Account
) -> list[tuple[str, str | None, str | None]]:
    """(event, actor, subject) oldest first, for events naming the account."""
    rows = events(client, admin_tokens, user_id=str(account.id))
    return [(row["event"], row["actor_id"], row["subject_id"]) for row in reversed(rows)]


def test_the_lifecycle_of_an_account_is_recorded_once_per_event(
    client: FlaskClient, admin: Account, admin_tokens: Tokens
) -> None:
    email = unique_email()
    registered = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": DEFAULT_PASSWORD, "name": "Audit"},
        headers={"User-Agent": "AuditTest/1.0", "X-Request-ID": "audit-req-1"},
    )
    assert registered.status_code == 201
    account = Account(id=registered.get_json()["id"], email=email, password=DEFAULT_PASSWORD, role="user")
    uid, aid = str(account.id), str(admin.id)

    assert client.post(LOGIN, json={"email": email, "password": "Wrong-Password-00"}).status_code == 401
    tokens = login(client, account)
    changed = client.patch(
        user_url(uid),
        json={"password": NEW_PASSWORD, "current_password": DEFAULT_PASSWORD},
        headers=tokens.headers,
    )
    assert changed.status_code == 200
    assert (
        client.patch(user_url(uid), json={"role": "admin"}, headers=admin_tokens.headers).status_code == 200
    )
    assert (
        client.patch(user_url(uid), json={"role": "admin"}, headers=admin_tokens.headers).status_code == 200
    )
    assert client.delete(f"{user_url(uid)}/sessions", headers=admin_tokens.headers).status_code == 204
    assert client.delete(user_url(uid), headers=admin_tokens.headers).status_code == 204

    assert of_user(client, admin_tokens, account) == [
        ("user_created", None, uid),
        ("login_failed", None, uid),
        ("login_succeeded", uid, uid),
        ("password_changed", uid, uid),
        ("role_changed", aid, uid),
        ("sessions_ended_by_admin", aid, uid),
        ("user_deleted", aid, uid),
    ]
    [created] = events(client, admin_tokens, user_id=uid, event="user_created")
    assert created["user_agent"] == "AuditTest/1.0"
    assert created["request_id"] == "audit-req-1"
    assert created["client_address"] == "127.0.0.1"


def test_sessions_and_logouts_are_recorded(client: FlaskClient, user: Account, admin_tokens: Tokens) -> None:
    first, second, third = (login(client, user) for _ in range(3))
    sessions = client.get("/api/v1/auth/sessions", headers=first.headers).get_json()["items"]
    assert (
        client.delete(f"/api/v1/auth/sessions/{sessions[-1]['id']}", headers=first.headers).status_code == 204
    )
    assert client.post("/api/v1/auth/logout", headers=second.headers).status_code == 204
    assert client.post("/api/v1/auth/logout-all", headers=third.headers).status_code == 204
    recorded = [event for event, _, _ in of_user(client, admin_tokens, user)]
    assert recorded[-3:] == ["session_ended", "logout", "logout_all"]


def test_a_change_that_does_not_happen_records_nothing(
    client: FlaskClient, user: Account, user_tokens: Tokens, admin_tokens: Tokens
) -> None:
    before = of_user(client, admin_tokens, user)
    stale = client.patch(
        user_url(user.id), json={"name": "Late"}, headers={**user_tokens.headers, "If-Match": '"0-x"'}
    )
    assert stale.status_code in (412, 428)
    wrong = client.patch(
        user_url(user.id),
        json={"password": NEW_PASSWORD, "current_password": "Not-The-Password-1"},
        headers=user_tokens.headers,
    )
    assert wrong.status_code == 403
    # No change is recorded; only the refused password check is (an attempt, not a change).
    uid = str(user.id)
    assert of_user(client, admin_tokens, user) == [*before, ("current_password_wrong", uid, uid)]


def test_no_secret_and_no_address_is_in_an_event(
    client: FlaskClient, admin_tokens: Tokens, app: Flask
) -> None:
    account = create_account(app, email=unique_email("secretive"))
    tokens = login(client, account)
    client.post(LOGIN, json={"email": account.email, "password": "Wrong-Password-00"})
    body = client.get(AUDIT, query_string={"limit": 200}, headers=admin_tokens.headers).get_data(as_text=True)
    for secret in (account.email, account.password, tokens.access_token, tokens.refresh_token, "argon2"):
        assert secret not in body


def test_the_listing_pages_newest_first_and_filters(
    client: FlaskClient, admin_tokens: Tokens, app: Flask
) -> None:
    accounts = [create_account(app) for _ in range(3)]
    first = client.get(
        AUDIT, query_string={"limit": 2, "event": "user_created"}, headers=admin_tokens.headers
    )
    assert first.status_code == 200
    page = first.get_json()
    assert [row["subject_id"] for row in page["items"]] == [str(accounts[2].id), str(accounts[1].id)]
    link = first.headers["Link"]
    assert link.startswith("</api/v1/audit-events?")
    assert link.endswith('rel="next"')
    second = client.get(link[1 : link.index(">")], headers=admin_tokens.headers).get_json()
    assert str(accounts[0].id) in [row["subject_id"] for row in second["items"]]
    assert all(row["event"] == "user_created" for row in second["items"])
    window = events(
        client, admin_tokens, since="2000-01-01T00:00:00+00:00", until="2001-01-01T00:00:00+00:00"
    )
    assert window == []


@pytest.mark.parametrize(
    "query",
    [
        {"event": "nonsense"},
        {"user_id": "not-a-uuid"},
        {"limit": 0},
        {"limit": 201},
        {"cursor": "garbage"},
        {"since": "yesterday"},
        {"since": "2030-01-01T00:00:00"},
        {"since": "2030-01-02T00:00:00+00:00", "until": "2030-01-01T00:00:00+00:00"},
    ],
)
def test_bad_queries_are_422(client: FlaskClient, admin_tokens: Tokens, query: dict[str, Any]) -> None:
    assert_problem(
        client.get(AUDIT, query_string=query, headers=admin_tokens.headers), 422, "validation_error"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("since", "0001-01-01T00:00:00+14:00"),
        ("until", "9999-12-31T23:59:59-23:59"),
        ("since", "0001-01-01T00:00:00+00:01"),
        ("until", "9999-12-31T23:59:59.999999-00:01"),
    ],
)
def test_a_time_whose_offset_leaves_the_calendar_is_422_not_500(
    client: FlaskClient, admin_tokens: Tokens, production_log: ProductionLog, name: str, value: str
) -> None:
    """A local time inside years 1-9999 whose offset puts its UTC instant outside them names no instant."""
    response = client.get(AUDIT, query_string={name: value}, headers=admin_tokens.headers)
    body = assert_problem(response, 422, "validation_error")
    assert list(body["errors"]["query"]) == [name]
    assert [r for r in production_log.records() if r["level"] == "ERROR"] == []


@pytest.mark.parametrize(
    "query",
    [
        {"since": "0001-01-01T00:00:00+00:00"},
        {"since": "0001-01-01T00:00:00-14:00"},
        {"until": "9999-12-31T23:59:59.999999+00:00"},
        {"until": "9999-12-31T10:00:00+14:00"},
        {"since": "0001-01-01T00:00:00-23:59", "until": "9999-12-31T23:59:59+23:59"},
    ],
)
def test_the_first_and_last_representable_instants_are_served(
    client: FlaskClient, admin_tokens: Tokens, query: dict[str, str]
) -> None:
    rows = events(client, admin_tokens, **query)
    assert "login_succeeded" in [row["event"] for row in rows]


def test_since_and_until_in_any_offset_name_the_same_instant(
    client: FlaskClient, admin_tokens: Tokens, app: Flask
) -> None:
    account = create_account(app)
    [created] = events(client, admin_tokens, user_id=str(account.id), event="user_created")
    at = datetime.fromisoformat(created["created_at"])
    east, west = timezone(timedelta(hours=14)), timezone(-timedelta(hours=23, minutes=59))
    minute = timedelta(minutes=1)

    def window(since: datetime, until: datetime) -> list[dict[str, Any]]:
        query = {"since": since.isoformat(), "until": until.isoformat(), "user_id": str(account.id)}
        return events(client, admin_tokens, **query)

    assert window((at - minute).astimezone(east), (at + minute).astimezone(west)) == [created]
    assert window((at + minute).astimezone(west), (at + 2 * minute).astimezone(east)) == []
    assert window((at - 2 * minute).astimezone(east), at.astimezone(west)) == []


def test_the_next_link_repeats_the_time_range_in_utc(
    client: FlaskClient, admin_tokens: Tokens, app: Flask
) -> None:
    for _ in range(2):
        create_account(app)
    since = datetime(2000, 1, 1, tzinfo=UTC).astimezone(timezone(timedelta(hours=14)))
    response = client.get(
        AUDIT,
        query_string={"limit": 1, "event": "user_created", "since": since.isoformat()},
        headers=admin_tokens.headers,
    )
    assert response.status_code == 200
    assert "since=2000-01-01T00:00:00%2B00:00" in response.headers["Link"]


def test_only_admins_read_the_trail(client: FlaskClient, user_tokens: Tokens) -> None:
    assert_problem(client.get(AUDIT, headers=user_tokens.headers), 403, "forbidden")
    assert_problem(client.get(AUDIT), 401, "unauthorized")
    assert_problem(client.get(AUDIT, headers=bearer(str(uuid.uuid4()))), 401, "unauthorized")


def test_token_reuse_and_email_verification_are_recorded(
    client: FlaskClient, app: Flask, user: Account, admin_tokens: Tokens
) -> None:
    tokens = login(client, user)
    assert client.post("/api/v1/auth/refresh", headers=bearer(tokens.refresh_token)).status_code == 200
    replay = client.post(
        "/api/v1/auth/refresh", headers={**bearer(tokens.refresh_token), "User-Agent": "Thief/1.0"}
    )
    assert_problem(replay, 401, "token_reused")
    with app.app_context():
        token = container().email_verification().tokens.issue(user.id, user.email)
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 204
    uid = str(user.id)
    recorded = of_user(client, admin_tokens, user)
    assert ("token_reuse_detected", None, uid) in recorded
    assert ("email_verified", uid, uid) in recorded


def test_each_event_is_also_a_log_line_with_ids_only(
    client: FlaskClient, user: Account, production_log: ProductionLog
) -> None:
    client.post(LOGIN, json={"email": user.email, "password": "Wrong-Password-00"})
    tokens = login(client, user)
    lines = [r for r in production_log.records() if r["logger"] == "keel.audit"]
    assert [(r["audit_event"], r["subject_id"]) for r in lines] == [
        ("login_failed", str(user.id)),
        ("login_succeeded", str(user.id)),
    ]
    assert all(r["request_id"] for r in lines)
    text = production_log.text
    for secret in (user.email, user.password, tokens.access_token, tokens.refresh_token):
        assert secret not in text


def test_every_use_of_the_refresh_grace_is_recorded(
    client: FlaskClient, user: Account, admin_tokens: Tokens
) -> None:
    same_client = {"REMOTE_ADDR": "198.51.100.7", "HTTP_USER_AGENT": "Tab/1.0"}
    tokens = login(client, user)
    refresh = "/api/v1/auth/refresh"
    assert (
        client.post(refresh, headers=bearer(tokens.refresh_token), environ_base=same_client).status_code
        == 200
    )
    for _ in range(2):
        retry = client.post(refresh, headers=bearer(tokens.refresh_token), environ_base=same_client)
        assert_problem(retry, 401, "token_revoked")
    uid = str(user.id)
    assert of_user(client, admin_tokens, user).count(("refresh_grace_used", None, uid)) == 2


def test_every_wrong_current_password_is_recorded(
    client: FlaskClient, user: Account, admin_tokens: Tokens
) -> None:
    tokens = login(client, user)
    for _ in range(2):
        response = client.patch(
            user_url(user.id),
            json={"password": NEW_PASSWORD, "current_password": "Not-The-Password-99"},
            headers=tokens.headers,
        )
        assert_problem(response, 403, "invalid_current_password")
    uid = str(user.id)
    assert of_user(client, admin_tokens, user).count(("current_password_wrong", uid, uid)) == 2


def test_every_password_reset_request_is_recorded_known_address_or_not(
    client: FlaskClient, user: Account, admin_tokens: Tokens
) -> None:
    before = len(events(client, admin_tokens, event="password_reset_requested"))
    for email in (user.email, unique_email()):
        assert client.post("/api/v1/auth/password-reset", json={"email": email}).status_code == 202
    recorded = events(client, admin_tokens, event="password_reset_requested")
    assert len(recorded) == before + 2
    # Nothing in the event says whether the address has an account.
    assert {(row["actor_id"], row["subject_id"]) for row in recorded[:2]} == {(None, None)}
