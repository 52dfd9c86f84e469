"""Idempotency-Key on the creating routes, over HTTP, with each store production can use.

Every test runs on the database store (SQLite and PostgreSQL) and on Redis: a retry gets the first
answer and nothing acts twice, another body is refused, keys are the caller's own, expire, and
answers a retry could change (429, a running request) are never stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.composition import container
from app.domain.clock import utcnow
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.users.models import User
from app.web.idempotency import request_content, request_scope
from tests.api.auth.helpers import assert_problem
from tests.conftest import IDEMPOTENCY_STORES, idempotency_store_settings
from tests.support.accounts import DEFAULT_PASSWORD, Tokens, create_account, login, unique_email

REGISTER = "/api/v1/auth/register"
USERS = "/api/v1/users"
RESET = "/api/v1/auth/password-reset"


@pytest.fixture(params=IDEMPOTENCY_STORES)
def app_overrides(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    with idempotency_store_settings(request.param) as settings:
        yield settings


@pytest.fixture
def client(committed_app: Flask) -> FlaskClient:
    """Keys are claimed on connections of their own: each test gets a database of its own."""
    return committed_app.test_client()


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def account(name: str = "Ada") -> dict[str, str]:
    return {"email": unique_email("idem"), "password": DEFAULT_PASSWORD, "name": name}


def count(app: Flask, statement: sa.Select[Any]) -> int:
    with app.app_context():
        return int(db.session.scalar(statement) or 0)


def users_with(app: Flask, email: str) -> int:
    return count(app, sa.select(sa.func.count()).select_from(User).where(User.email_normalized == email))


def outbox_size(app: Flask) -> int:
    return count(app, sa.select(sa.func.count()).select_from(OutboxMessage))


def assert_header_problem(response: TestResponse, code: str) -> None:
    """A 422 problem that names the Idempotency-Key header as what was wrong."""
    problem = assert_problem(response, 422, code)
    assert list(problem["errors"]["headers"]) == ["Idempotency-Key"]


def test_a_retry_gets_the_first_response_and_nothing_acts_twice(
    client: FlaskClient, committed_app: Flask
) -> None:
    body, headers = account(), key()
    first = client.post(REGISTER, json=body, headers=headers)
    mails = outbox_size(committed_app)
    # The same body as another client would serialise it: other key order.
    retry = client.post(REGISTER, json=dict(reversed(list(body.items()))), headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.get_data() == first.get_data()
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.content_type == first.content_type
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert retry.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    assert users_with(committed_app, body["email"]) == 1
    assert outbox_size(committed_app) == mails  # no second verification mail


def test_a_stored_error_is_replayed_too(client: FlaskClient) -> None:
    body = account()
    assert client.post(REGISTER, json=body).status_code == 201
    headers = key()
    first = client.post(REGISTER, json=body, headers=headers)
    retry = client.post(REGISTER, json=body, headers=headers)
    assert first.status_code == retry.status_code == 409
    assert retry.get_json() == first.get_json()
    assert retry.content_type == "application/problem+json"
    assert retry.headers["Idempotent-Replayed"] == "true"


def test_an_admin_create_replays_location_and_etag(
    client: FlaskClient, committed_app: Flask, admin_tokens: Tokens
) -> None:
    body, headers = {**account("Grace"), "role": "user"}, {**key(), **admin_tokens.headers}
    first = client.post(USERS, json=body, headers=headers)
    retry = client.post(USERS, json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    for name in ("Location", "ETag"):
        assert retry.headers[name] == first.headers[name]
    assert retry.get_json() == first.get_json()
    assert users_with(committed_app, body["email"]) == 1


def test_a_password_reset_retry_records_one_job(client: FlaskClient, committed_app: Flask) -> None:
    headers, body = key(), {"email": unique_email()}
    before = outbox_size(committed_app)
    first = client.post(RESET, json=body, headers=headers)
    retry = client.post(RESET, json=body, headers=headers)
    assert first.status_code == retry.status_code == 202
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert outbox_size(committed_app) == before + 1


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(
    client: FlaskClient, committed_app: Flask
) -> None:
    headers, first, other = key(), account("Ada"), account("Grace")
    assert client.post(REGISTER, json=first, headers=headers).status_code == 201
    refused = client.post(REGISTER, json=other, headers=headers)
    assert_header_problem(refused, "idempotency_key_reused")
    assert users_with(committed_app, other["email"]) == 0


def test_the_same_key_on_another_route_is_another_request(client: FlaskClient) -> None:
    headers, body = key(), account()
    assert client.post(REGISTER, json=body, headers=headers).status_code == 201
    refused = client.post(RESET, json={"email": body["email"]}, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "idempotency_key_reused"


def test_keys_are_scoped_to_the_client(client: FlaskClient, committed_app: Flask) -> None:
    headers, body = key(), account()
    assert client.post(REGISTER, json=body, headers=headers).status_code == 201
    elsewhere = client.post(REGISTER, json=body, headers=headers, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    # Acted on, not replayed: the account exists, so this client's own first request is a 409.
    assert elsewhere.status_code == 409
    assert "Idempotent-Replayed" not in elsewhere.headers
    assert users_with(committed_app, body["email"]) == 1


def test_an_ipv6_client_keeps_its_keys_across_its_64(client: FlaskClient, committed_app: Flask) -> None:
    """An IPv6 host may send each retry from another address of its /64: the key is still its own."""
    headers, body = key(), account()
    first = client.post(REGISTER, json=body, headers=headers, environ_base={"REMOTE_ADDR": "2001:db8:5:6::1"})
    assert first.status_code == 201
    retry = client.post(
        REGISTER, json=body, headers=headers, environ_base={"REMOTE_ADDR": "2001:db8:5:6::beef"}
    )
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    elsewhere = client.post(
        REGISTER, json=body, headers=headers, environ_base={"REMOTE_ADDR": "2001:db8:5:7::1"}
    )
    assert elsewhere.status_code == 409
    assert "Idempotent-Replayed" not in elsewhere.headers
    assert users_with(committed_app, body["email"]) == 1


def test_keys_are_scoped_to_the_caller(
    client: FlaskClient, committed_app: Flask, admin_tokens: Tokens
) -> None:
    other_admin = login(client, create_account(committed_app, role="admin"))
    headers, body = key(), account()
    assert client.post(USERS, json=body, headers={**headers, **admin_tokens.headers}).status_code == 201
    theirs = client.post(USERS, json=body, headers={**headers, **other_admin.headers})
    assert theirs.status_code == 409
    assert theirs.get_json()["code"] == "email_taken"


def test_a_retry_while_the_first_runs_is_a_conflict(client: FlaskClient, committed_app: Flask) -> None:
    headers, body = key(), account()
    begin_elsewhere(committed_app, body, headers)
    retry = client.post(REGISTER, json=body, headers=headers)
    assert retry.status_code == 409
    assert retry.get_json()["code"] == "idempotency_key_in_use"
    assert users_with(committed_app, body["email"]) == 0


def test_a_request_that_died_frees_its_key_once_its_lock_lapses(
    client: FlaskClient, committed_app: Flask
) -> None:
    headers, body = key(), account()
    begin_elsewhere(committed_app, body, headers)
    lock = container_setting(committed_app, "idempotency_lock_seconds")
    with time_machine.travel(utcnow() + timedelta(seconds=lock + 1)):
        retry = client.post(REGISTER, json=body, headers=headers)
    assert retry.status_code == 201
    assert users_with(committed_app, body["email"]) == 1


def test_a_key_expires_after_its_ttl(client: FlaskClient, committed_app: Flask) -> None:
    headers = key()
    assert client.post(REGISTER, json=account("Ada"), headers=headers).status_code == 201
    ttl = container_setting(committed_app, "idempotency_ttl_seconds")
    with time_machine.travel(utcnow() + timedelta(seconds=ttl - 5)):
        assert client.post(REGISTER, json=account("Grace"), headers=headers).status_code == 422
    other = account("Grace")
    with time_machine.travel(utcnow() + timedelta(seconds=ttl + 5)):
        fresh = client.post(REGISTER, json=other, headers=headers)
    assert fresh.status_code == 201
    assert "Idempotent-Replayed" not in fresh.headers
    assert users_with(committed_app, other["email"]) == 1


@pytest.mark.parametrize(
    "value",
    ["", " ", "x" * 256, "clé-ünicode", "tab\there", '"', 'a"b', "back\\slash"],
    ids=["empty", "blank", "too-long", "non-ascii", "control", "lone-quote", "inner-quote", "backslash"],
)
def test_a_malformed_key_is_a_validation_error_and_changes_nothing(
    client: FlaskClient, committed_app: Flask, value: str
) -> None:
    body = account()
    response = client.post(REGISTER, json=body, headers={"Idempotency-Key": value})
    assert_header_problem(response, "validation_error")
    assert users_with(committed_app, body["email"]) == 0


def test_a_quoted_key_is_the_same_key(client: FlaskClient) -> None:
    body = account()
    assert client.post(REGISTER, json=body, headers={"Idempotency-Key": '"order-7"'}).status_code == 201
    retry = client.post(REGISTER, json=body, headers={"Idempotency-Key": "order-7"})
    assert retry.headers["Idempotent-Replayed"] == "true"


class TestRateLimitedAnswersAreNotStored:
    @pytest.fixture
    def app_overrides(self, app_overrides: dict[str, Any]) -> dict[str, Any]:
        return {**app_overrides, "RATELIMIT_ENABLED": "true", "RATELIMIT_PASSWORD_RESET_EMAIL": "1 per hour"}

    def test_a_429_is_answered_again_not_replayed(self, client: FlaskClient) -> None:
        email = unique_email()
        assert client.post(RESET, json={"email": email}, headers=key()).status_code == 202
        headers = key()
        limited = client.post(RESET, json={"email": email}, headers=headers)
        again = client.post(RESET, json={"email": email}, headers=headers)
        assert limited.status_code == again.status_code == 429
        assert "Idempotent-Replayed" not in again.headers


def begin_elsewhere(app: Flask, body: dict[str, str], headers: dict[str, str]) -> None:
    """Claim the key as the same client's first request would, and leave it running (a slow request)."""
    environ = {"REMOTE_ADDR": "127.0.0.1"}  # the test client's address
    with app.test_request_context(REGISTER, method="POST", json=body, headers=headers, environ_base=environ):
        container().idempotency().begin(request_scope(), headers["Idempotency-Key"], request_content())


def container_setting(app: Flask, name: str) -> int:
    with app.app_context():
        value: int = getattr(container().settings, name)
    return value
