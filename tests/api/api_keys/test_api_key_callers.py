"""A presented API key, over HTTP on SQLite and PostgreSQL: it acts as its owner as they are now,
within its scopes, never on credentials; a bad key of any kind is 401 `invalid_api_key` by the same
path; `last_used_at` is written at most once a minute; the default rate limit is per key."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.api_keys.models import ApiKey
from app.composition import container, install
from app.domain.api_keys import SCOPES, new_key
from app.domain.clock import utcnow
from app.extensions import db
from tests.api.api_keys.helpers import API_KEYS, AUDIT, ME, USERS, create_key, key_headers
from tests.api.auth.helpers import assert_problem, assert_unauthorized
from tests.fakes import FakeClock
from tests.support.accounts import Account, Tokens, create_account, login

PATH_PARAMETER = re.compile(r"\{\w+\}")
# What a key never does, by name: the credentials of its owner's account.
CREDENTIAL_OPERATIONS = {
    "createApiKey",
    "listApiKeys",
    "revokeApiKey",
    "listSessions",
    "endSession",
    "endUserSessions",
    "logout",
    "logoutAll",
    "reauthenticate",
    "getMfaStatus",
    "startTotpEnrolment",
    "confirmTotpEnrolment",
    "disableTotp",
    "regenerateRecoveryCodes",
    "removeUserMfa",
}


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    moved = FakeClock(utcnow().replace(microsecond=0))
    with app.app_context():
        install(app, replace(container(), clock=moved))
    return moved


def operations(client: FlaskClient) -> list[tuple[str, str, str, list[dict[str, Any]]]]:
    document = client.get("/openapi.json").get_json()
    return [
        (operation["operationId"], method.upper(), path, operation.get("security", []))
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    ]


# --- Scopes ---------------------------------------------------------------------------------------


def test_a_key_does_only_what_its_scopes_allow(client: FlaskClient, admin_tokens: Tokens) -> None:
    reader = create_key(client, admin_tokens, "users:read")["key"]
    auditor = create_key(client, admin_tokens, "audit:read")["key"]
    new_user = {"email": f"{uuid.uuid4().hex}@example.com", "password": "harbor-violet-engine-9", "name": "N"}

    assert client.get(USERS, headers=key_headers(reader)).status_code == 200
    assert_problem(client.get(AUDIT, headers=key_headers(reader)), 403, "insufficient_scope")
    assert_problem(client.post(USERS, json=new_user, headers=key_headers(reader)), 403, "insufficient_scope")
    assert client.get(AUDIT, headers=key_headers(auditor)).status_code == 200
    assert_problem(client.get(ME, headers=key_headers(auditor)), 403, "insufficient_scope")


def test_a_write_scope_changes_what_the_owner_may_change(
    client: FlaskClient, user_tokens: Tokens, user: Account
) -> None:
    writer = create_key(client, user_tokens, "users:write")["key"]
    reader = create_key(client, user_tokens, "users:read")["key"]
    url = f"{USERS}/{user.id}"

    assert_problem(
        client.patch(url, json={"name": "By reader"}, headers=key_headers(reader)), 403, "insufficient_scope"
    )
    response = client.patch(url, json={"name": "By key"}, headers=key_headers(writer))

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["name"] == "By key"
    assert_problem(client.patch(url, json={"role": "admin"}, headers=key_headers(writer)), 403, "forbidden")


def test_every_operation_that_takes_no_key_is_in_the_document_without_the_scheme(client: FlaskClient) -> None:
    refusing = {name for name, _, _, security in operations(client) if {"apiKeyAuth": []} not in security}
    assert refusing >= CREDENTIAL_OPERATIONS


def test_no_credential_operation_takes_a_key_of_every_scope(
    client: FlaskClient, admin_tokens: Tokens, admin: Account
) -> None:
    key = create_key(client, admin_tokens, *SCOPES)["key"]
    guarded = [
        (name, method, path)
        for name, method, path, security in operations(client)
        if {"bearerAuth": []} in security and {"apiKeyAuth": []} not in security and name != "refreshTokens"
    ]
    assert {name for name, _, _ in guarded} >= CREDENTIAL_OPERATIONS

    answers = {
        name: client.open(
            PATH_PARAMETER.sub(str(admin.id), path), method=method, json={}, headers=key_headers(key)
        ).get_json()["code"]
        for name, method, path in guarded
    }

    assert answers == dict.fromkeys(answers, "insufficient_scope")
    assert client.get(API_KEYS, headers=admin_tokens.headers).status_code == 200  # the session lives on


@pytest.mark.parametrize("change", [{"email": "new@example.com"}, {"password": "another-harbor-violet-9"}])
def test_a_key_never_changes_an_email_or_password(
    client: FlaskClient, user_tokens: Tokens, user: Account, change: dict[str, str]
) -> None:
    key = create_key(client, user_tokens, *SCOPES)["key"]
    body = {**change, "current_password": user.password}

    assert_problem(
        client.patch(f"{USERS}/{user.id}", json=body, headers=key_headers(key)), 403, "insufficient_scope"
    )


@pytest.mark.parametrize(
    "change", [{"email": "taken-over@example.com"}, {"password": "another-harbor-violet-9"}]
)
def test_an_admins_key_never_changes_another_users_email_or_password(
    client: FlaskClient, admin_tokens: Tokens, user: Account, change: dict[str, str]
) -> None:
    key = create_key(client, admin_tokens, *SCOPES)["key"]

    response = client.patch(f"{USERS}/{user.id}", json=change, headers=key_headers(key))

    assert_problem(response, 403, "insufficient_scope")
    assert (
        client.patch(f"{USERS}/{user.id}", json={"name": "Renamed"}, headers=key_headers(key)).status_code
        == 200
    )


# --- The owner as they are now --------------------------------------------------------------------


def test_a_demoted_admins_key_loses_admin_reads(
    app: Flask, client: FlaskClient, admin_tokens: Tokens, admin: Account
) -> None:
    key = create_key(client, admin_tokens, "users:read")["key"]
    assert client.get(USERS, headers=key_headers(key)).status_code == 200
    other_admin = login(client, create_account(app, role="admin"))

    demoted = client.patch(f"{USERS}/{admin.id}", json={"role": "user"}, headers=other_admin.headers)
    assert demoted.status_code == 200, demoted.get_json()

    assert_problem(client.get(USERS, headers=key_headers(key)), 403, "forbidden")
    assert client.get(ME, headers=key_headers(key)).status_code == 200


def test_a_disabled_owners_keys_are_401(
    client: FlaskClient, user_tokens: Tokens, user: Account, admin_tokens: Tokens
) -> None:
    key = create_key(client, user_tokens, "users:read")["key"]

    client.patch(f"{USERS}/{user.id}", json={"is_active": False}, headers=admin_tokens.headers)

    assert_unauthorized(client.get(ME, headers=key_headers(key)), "invalid_api_key")


def test_a_deleted_owners_keys_are_401(
    client: FlaskClient, user_tokens: Tokens, user: Account, admin_tokens: Tokens
) -> None:
    key = create_key(client, user_tokens, "users:read")["key"]

    assert client.delete(f"{USERS}/{user.id}", headers=admin_tokens.headers).status_code == 204

    assert_unauthorized(client.get(ME, headers=key_headers(key)), "invalid_api_key")


# --- Bad keys, by one path --------------------------------------------------------------------------


@contextmanager
def key_lookups(app: Flask) -> Iterator[list[str]]:
    """The statements on api_keys this thread runs (the test client serves requests on it)."""
    seen: list[str] = []
    thread = threading.get_ident()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == thread and "api_keys" in statement:
            seen.append(statement.lstrip().split()[0].upper())

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def bad_keys(live: str) -> dict[str, str]:
    body = live[5:-6]
    flipped = ("A" if body[0] != "A" else "B") + body[1:]
    return {
        "unknown": new_key(),
        "bad checksum": f"keel_{flipped}{live[-6:]}",
        "too short": live[:-1],
        "too long": live + "0",
        "not base62": live[:-7] + "-" + live[-6:],
        "only the prefix": "keel_",
        "not ascii": live[:-7] + "é" + live[-6:],
    }


def test_every_bad_key_is_401_after_exactly_one_lookup(
    app: Flask, client: FlaskClient, user_tokens: Tokens
) -> None:
    live = create_key(client, user_tokens, "users:read")["key"]

    for kind, presented in bad_keys(live).items():
        with key_lookups(app) as seen:
            response = client.get(ME, headers={"Authorization": f"Bearer {presented}"})
        assert_unauthorized(response, "invalid_api_key")
        assert seen == ["SELECT"], kind


def test_a_revoked_key_is_401(client: FlaskClient, user_tokens: Tokens) -> None:
    created = create_key(client, user_tokens, "users:read")
    client.delete(f"{API_KEYS}/{created['id']}", headers=user_tokens.headers)

    assert_unauthorized(client.get(ME, headers=key_headers(created["key"])), "invalid_api_key")


def test_a_bad_key_is_401_even_where_no_key_is_taken(client: FlaskClient) -> None:
    assert_unauthorized(client.get(API_KEYS, headers=key_headers(new_key())), "invalid_api_key")


# --- last_used_at ------------------------------------------------------------------------------------


def last_used(app: Flask, api_key_id: str) -> Any:
    with app.app_context():
        value = db.session.scalar(sa.select(ApiKey.last_used_at).where(ApiKey.id == uuid.UUID(api_key_id)))
        db.session.remove()
        return value


def test_last_used_at_is_written_at_most_once_a_minute(
    app: Flask, client: FlaskClient, user_tokens: Tokens, clock: FakeClock
) -> None:
    created = create_key(client, user_tokens, "users:read")
    first = clock.now

    writes = []
    for step in (0, 20, 20, 19):  # 0 s, 20 s, 40 s, 59 s after the first use
        clock.advance(timedelta(seconds=step))
        with key_lookups(app) as seen:
            assert client.get(ME, headers=key_headers(created["key"])).status_code == 200
        writes.append(seen.count("UPDATE"))
    assert writes == [1, 0, 0, 0]
    assert last_used(app, created["id"]) == first

    clock.advance(timedelta(seconds=1))  # a minute after the recorded use
    with key_lookups(app) as seen:
        client.get(ME, headers=key_headers(created["key"]))
    assert seen.count("UPDATE") == 1
    assert last_used(app, created["id"]) == first + timedelta(minutes=1)
    listed = client.get(API_KEYS, headers=user_tokens.headers).get_json()["items"][0]
    assert listed["last_used_at"] is not None
