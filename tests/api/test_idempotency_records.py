"""What a stored Idempotency-Key record gives away, read from the real store (Redis and the table).

A record lives a day next to its response, so it must hold nothing a word list could turn back into
the password: not the password, not an unkeyed digest of the body or of the password. The request's
fingerprint is an HMAC under a key of the server's own, with password fields HMAC'd before that.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.composition import container
from app.idempotency.models import IdempotencyKey
from app.idempotency.redis_store import PREFIX
from tests.api.auth.helpers import assert_problem
from tests.conftest import IDEMPOTENCY_STORES, idempotency_store_settings
from tests.support.accounts import Tokens, unique_email

REGISTER = "/api/v1/auth/register"
USERS = "/api/v1/users"
ALGORITHMS = ("sha256", "sha1", "md5", "sha512", "blake2b")


@pytest.fixture(params=IDEMPOTENCY_STORES)
def app_overrides(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    with idempotency_store_settings(request.param) as settings:
        yield settings


@pytest.fixture
def client(committed_app: Flask) -> FlaskClient:
    return committed_app.test_client()


def stored_records(app: Flask) -> list[bytes]:
    """Every Idempotency-Key record as the store holds it, with any base64 inside decoded too."""
    with app.app_context():
        redis_url = container().settings.redis_url
    if redis_url is not None:
        return _redis_records(redis_url)
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])  # the table as stored, on its own
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(IdempotencyKey.__table__)).mappings().all()
    finally:
        engine.dispose()
    records = []
    for row in rows:
        text = json.dumps({name: _text(value) for name, value in row.items()}).encode()
        records.append(text + b"\n" + bytes(row["response_body"] or b""))
    return records


def _redis_records(url: str) -> list[bytes]:
    client = redis.Redis.from_url(url)
    try:
        records = []
        for name in client.scan_iter(match=PREFIX + "*"):
            raw = client.get(name)
            assert raw is not None
            response = json.loads(raw).get("r") or {}
            records.append(name + b"\n" + raw + b"\n" + base64.b64decode(response.get("b", "")))
        return records
    finally:
        client.close()


def _text(value: Any) -> str:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("latin-1")
    return str(value)


def unkeyed_digests(path: str, raw_body: bytes, password: str) -> set[str]:
    """Digests anyone could compute from a guess: of the body as sent, in canonical JSON (with or
    without the method and path before it), and of the password; in hex and base64."""
    parsed = json.loads(raw_body)
    bodies = {
        raw_body,
        orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS),
        json.dumps(parsed, sort_keys=True).encode(),
        json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode(),
    }
    prefixes = (
        b"",
        f"POST {path}\n".encode(),
        f"POST {path}".encode(),
        f"POST\n{path}\n".encode(),
    )
    inputs = {prefix + body for prefix in prefixes for body in bodies} | {password.encode()}
    digests = set()
    for data in inputs:
        for algorithm in ALGORITHMS:
            digest = hashlib.new(algorithm, data).digest()
            digests |= {
                digest.hex(),
                base64.b64encode(digest).decode(),
                base64.urlsafe_b64encode(digest).decode(),
            }
    return digests


@pytest.mark.parametrize("path", [REGISTER, USERS])
def test_a_keyed_account_creation_stores_neither_the_password_nor_an_unkeyed_digest(
    path: str, client: FlaskClient, committed_app: Flask, admin_tokens: Tokens
) -> None:
    password = f"quartz-lantern-{uuid.uuid4().hex[:12]}"
    raw_body = json.dumps({"password": password, "email": unique_email("idem"), "name": "Ada"}).encode()
    auth = admin_tokens.headers if path == USERS else {}

    response = client.post(
        path, data=raw_body, content_type="application/json", headers={"Idempotency-Key": "signup-1", **auth}
    )

    assert response.status_code == 201
    records = stored_records(committed_app)
    assert len(records) == 1  # this request's record, with its stored response
    record = records[0].decode("latin-1")
    assert response.get_data().decode() in record
    for secret in (password, base64.b64encode(password.encode()).decode()):
        assert secret not in record
    leaked = [digest for digest in unkeyed_digests(path, raw_body, password) if digest in record]
    assert leaked == []


def test_the_same_key_with_another_password_is_still_another_request(client: FlaskClient) -> None:
    """The password is not left out of the fingerprint: only its keyed digest goes in."""
    body = {"email": unique_email("idem"), "password": "quartz-lantern-one-7", "name": "Ada"}
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    assert client.post(REGISTER, json=body, headers=headers).status_code == 201

    retry = client.post(REGISTER, json={**body, "password": "quartz-lantern-two-7"}, headers=headers)

    problem = assert_problem(retry, 422, "idempotency_key_reused")
    assert list(problem["errors"]["headers"]) == ["Idempotency-Key"]
