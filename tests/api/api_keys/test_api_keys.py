"""/api/v1/api-keys and keys presented as `Authorization: Bearer keel_...`, over HTTP on SQLite and
PostgreSQL: creation (recent sign-in, validation), listing without the key, revocation (owner or
admin), the secret stored nowhere, audit events, and the shape leak scanners rely on."""

from __future__ import annotations

import uuid
import zlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.api_keys.models import ApiKey
from app.composition import container, install
from app.domain.api_keys import SCOPES
from app.domain.clock import utcnow
from app.extensions import db
from app.persistence.base import Base
from tests.api.api_keys.helpers import API_KEYS, AUDIT, KEY_SHAPE, ME, create_key, key_headers
from tests.api.auth.helpers import assert_problem, assert_unauthorized, assert_validation_error
from tests.fakes import FakeClock
from tests.support.accounts import Tokens, create_account, login

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MAX_AGE = 120


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"REAUTH_MAX_AGE_SECONDS": str(MAX_AGE)}


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    moved = FakeClock(utcnow().replace(microsecond=0))
    with app.app_context():
        install(app, replace(container(), clock=moved))
    return moved


def base62(number: int) -> str:
    digits = ""
    while number:
        number, digit = divmod(number, 62)
        digits = ALPHABET[digit] + digits
    return digits.rjust(6, "0")


def test_create_returns_the_key_once_in_the_documented_shape(
    client: FlaskClient, user_tokens: Tokens
) -> None:
    created = create_key(client, user_tokens, "users:read", name="  nightly export  ")

    assert set(created) == {
        "id",
        "name",
        "key",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
    }
    assert (created["name"], created["scopes"], created["expires_at"], created["last_used_at"]) == (
        "nightly export",
        ["users:read"],
        None,
        None,
    )
    key = created["key"]
    assert KEY_SHAPE.match(key)
    body, checksum = key[5:-6], key[-6:]
    assert len(body) == 43
    assert base62(zlib.crc32(body.encode())) == checksum
    assert created["prefix"] == key[:9]
    listed = client.get(API_KEYS, headers=user_tokens.headers).get_json()["items"]
    assert listed == [{name: value for name, value in created.items() if name != "key"}]


def test_two_keys_differ(client: FlaskClient, user_tokens: Tokens) -> None:
    assert create_key(client, user_tokens)["key"] != create_key(client, user_tokens)["key"]


def test_a_key_acts_as_its_owner(client: FlaskClient, user_tokens: Tokens, user: Any) -> None:
    key = create_key(client, user_tokens, "users:read")["key"]

    response = client.get(ME, headers=key_headers(key))

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["id"] == str(user.id)


@pytest.mark.parametrize(
    "body",
    [
        {"scopes": ["users:read"]},
        {"name": "", "scopes": ["users:read"]},
        {"name": "x", "scopes": []},
        {"name": "x"},
        {"name": "x", "scopes": ["users:admin"]},
        {"name": "x", "scopes": ["users:read", "users:read"]},
        {"name": "x", "scopes": "users:read"},
        {"name": "x", "scopes": ["users:read"], "expires_at": "2001-01-01T00:00:00Z"},
        {"name": "x", "scopes": ["users:read"], "expires_at": "tomorrow"},
    ],
)
def test_a_bad_body_is_422_and_creates_nothing(client: FlaskClient, user_tokens: Tokens, body: Any) -> None:
    assert_problem(client.post(API_KEYS, json=body, headers=user_tokens.headers), 422, "validation_error")
    assert client.get(API_KEYS, headers=user_tokens.headers).get_json()["items"] == []


def test_a_past_expiry_names_the_field(client: FlaskClient, user_tokens: Tokens) -> None:
    past = (utcnow() - timedelta(seconds=1)).isoformat()
    response = client.post(
        API_KEYS,
        json={"name": "x", "scopes": ["users:read"], "expires_at": past},
        headers=user_tokens.headers,
    )
    assert_validation_error(response, "expires_at")


def test_creating_a_key_needs_a_recent_sign_in(
    client: FlaskClient, user_tokens: Tokens, clock: FakeClock
) -> None:
    clock.advance(timedelta(seconds=MAX_AGE + 1))

    response = client.post(
        API_KEYS, json={"name": "x", "scopes": ["users:read"]}, headers=user_tokens.headers
    )

    assert_problem(response, 403, "reauthentication_required")
    clock.advance(timedelta(seconds=-MAX_AGE))
    assert client.get(API_KEYS, headers=user_tokens.headers).get_json()["items"] == []


def test_an_expired_key_is_401_and_a_live_one_is_not(
    client: FlaskClient, user_tokens: Tokens, clock: FakeClock
) -> None:
    expires = clock.now + timedelta(hours=1)
    key = create_key(client, user_tokens, "users:read", expires_at=expires.isoformat())["key"]
    assert client.get(ME, headers=key_headers(key)).status_code == 200

    clock.advance(timedelta(hours=1))

    assert_unauthorized(client.get(ME, headers=key_headers(key)), "invalid_api_key")


def test_the_owner_revokes_a_key_and_it_stops_working(client: FlaskClient, user_tokens: Tokens) -> None:
    created = create_key(client, user_tokens, "users:read")

    assert client.delete(f"{API_KEYS}/{created['id']}", headers=user_tokens.headers).status_code == 204

    assert_unauthorized(client.get(ME, headers=key_headers(created["key"])), "invalid_api_key")
    assert client.get(API_KEYS, headers=user_tokens.headers).get_json()["items"] == []
    assert_problem(
        client.delete(f"{API_KEYS}/{created['id']}", headers=user_tokens.headers), 404, "not_found"
    )


def test_another_users_key_is_404_to_a_non_admin_and_revocable_by_an_admin(
    app: Flask, client: FlaskClient, user_tokens: Tokens, admin_tokens: Tokens
) -> None:
    created = create_key(client, user_tokens, "users:read")
    stranger = login(client, create_account(app))
    url = f"{API_KEYS}/{created['id']}"

    assert_problem(client.delete(url, headers=stranger.headers), 404, "not_found")
    assert client.get(ME, headers=key_headers(created["key"])).status_code == 200
    assert client.get(API_KEYS, headers=stranger.headers).get_json()["items"] == []

    assert client.delete(url, headers=admin_tokens.headers).status_code == 204
    assert_unauthorized(client.get(ME, headers=key_headers(created["key"])), "invalid_api_key")


def test_a_listing_pages_newest_first(client: FlaskClient, user_tokens: Tokens) -> None:
    ids = [create_key(client, user_tokens, name=f"k{i}")["id"] for i in range(3)]

    first = client.get(f"{API_KEYS}?limit=2", headers=user_tokens.headers).get_json()
    second = client.get(
        API_KEYS, query_string={"limit": 2, "cursor": first["next_cursor"]}, headers=user_tokens.headers
    ).get_json()

    assert [item["id"] for item in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None


def test_creation_and_revocation_are_audited(
    client: FlaskClient, user_tokens: Tokens, admin_tokens: Tokens, user: Any, admin: Any
) -> None:
    created = create_key(client, user_tokens, "users:read")
    client.delete(f"{API_KEYS}/{created['id']}", headers=admin_tokens.headers)

    items = client.get(
        AUDIT, query_string={"user_id": str(user.id)}, headers=admin_tokens.headers
    ).get_json()["items"]
    recorded = [
        (e["event"], e["actor_id"], e["subject_id"]) for e in items if e["event"].startswith("api_key")
    ]
    assert recorded == [
        ("api_key_revoked", str(admin.id), str(user.id)),
        ("api_key_created", str(user.id), str(user.id)),
    ]


def test_the_key_is_found_nowhere_in_the_database(
    app: Flask, client: FlaskClient, user_tokens: Tokens
) -> None:
    created = create_key(client, user_tokens, *SCOPES)
    key = created["key"]
    assert client.get(ME, headers=key_headers(key)).status_code == 200  # a use writes last_used_at

    with app.app_context():
        dumped = [
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in db.session.execute(sa.select(table)).all()
        ]
        stored = db.session.get(ApiKey, uuid.UUID(created["id"]))
        assert stored is not None
        expected_hash = container().api_key_hasher().digest(key)
        db.session.remove()
    assert dumped
    assert [line for line in dumped if key[9:] in line or key[5:-6] in line] == []  # all but the prefix
    assert (stored.key_hash, stored.prefix, stored.last_used_at is not None) == (expected_hash, key[:9], True)


def test_the_document_declares_the_api_key_scheme_where_keys_are_accepted(client: FlaskClient) -> None:
    document = client.get("/openapi.json").get_json()
    scheme = document["components"]["securitySchemes"]["apiKeyAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    operations = {
        operation["operationId"]: operation.get("security", [])
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    accepting = {name for name, security in operations.items() if {"apiKeyAuth": []} in security}
    assert accepting == {
        "getMe",
        "listUsers",
        "createUser",
        "getUser",
        "updateUser",
        "deleteUser",
        "listAuditEvents",
    }


def test_at_most_25_live_keys_and_a_revocation_makes_room(client: FlaskClient, user_tokens: Tokens) -> None:
    ids = [create_key(client, user_tokens, "users:read")["id"] for _ in range(25)]

    refused = client.post(
        API_KEYS, json={"name": "26th", "scopes": ["users:read"]}, headers=user_tokens.headers
    )

    assert_problem(refused, 409, "api_key_limit_reached")
    client.delete(f"{API_KEYS}/{ids[0]}", headers=user_tokens.headers)
    create_key(client, user_tokens, "users:read")


def test_expired_keys_do_not_count_against_the_limit(
    client: FlaskClient, user_tokens: Tokens, clock: FakeClock
) -> None:
    soon = (clock.now + timedelta(seconds=30)).isoformat()
    for _ in range(25):
        create_key(client, user_tokens, "users:read", expires_at=soon)

    clock.advance(timedelta(seconds=30))

    create_key(client, user_tokens, "users:read")
