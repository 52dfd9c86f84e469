"""Keyed fingerprints of Idempotency-Keys and requests: equal for the same request, unguessable
without the server's secret."""

from __future__ import annotations

import hashlib
import hmac

import orjson

from app.domain.idempotency import RequestContent, RequestFingerprints

SECRET = b"k" * 16 + b"e" * 16
OTHER_SECRET = b"q" * 16 + b"z" * 16


def register(body: bytes) -> RequestContent:
    return RequestContent(method="POST", path="/api/v1/auth/register", body=body)


def test_the_same_json_in_another_order_or_spacing_is_the_same_request() -> None:
    fingerprints = RequestFingerprints(SECRET)
    compact = register(b'{"email":"ada@example.com","password":"quartz-lantern-7"}')
    spaced = register(b'{ "password": "quartz-lantern-7",  "email": "ada@example.com" }')
    assert fingerprints.fingerprint(compact) == fingerprints.fingerprint(spaced)


def test_another_password_method_path_or_raw_body_is_another_request() -> None:
    fingerprints = RequestFingerprints(SECRET)
    body = b'{"email":"ada@example.com","password":"quartz-lantern-7"}'
    first = fingerprints.fingerprint(register(body))
    others = [
        register(body.replace(b"lantern-7", b"lantern-8")),
        RequestContent(method="PUT", path="/api/v1/auth/register", body=body),
        RequestContent(method="POST", path="/api/v1/users", body=body),
    ]
    assert first not in {fingerprints.fingerprint(other) for other in others}
    assert fingerprints.fingerprint(register(b"not json")) != fingerprints.fingerprint(register(b"not json!"))


def test_another_secret_gives_other_digests_and_none_is_an_unkeyed_sha256() -> None:
    body = b'{"email":"ada@example.com","password":"quartz-lantern-7"}'
    ours, theirs = RequestFingerprints(SECRET), RequestFingerprints(OTHER_SECRET)
    assert ours.fingerprint(register(body)) != theirs.fingerprint(register(body))
    assert ours.key_id("user:1", "k-1") != theirs.key_id("user:1", "k-1")
    canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    unkeyed = hashlib.sha256(b"POST /api/v1/auth/register\n" + canonical).hexdigest()
    assert ours.fingerprint(register(body)) != unkeyed
    assert ours.key_id("user:1", "k-1") != hashlib.sha256(b"user:1\nk-1").hexdigest()


def test_keys_of_different_callers_never_meet() -> None:
    fingerprints = RequestFingerprints(SECRET)
    assert fingerprints.key_id("user:1", "k-1") != fingerprints.key_id("user:2", "k-1")


def test_a_password_field_enters_the_fingerprint_only_as_its_own_hmac() -> None:
    """Even under the key, the HMAC never runs over a password in clear: with the secret leaked, a
    guess would still need the separate secret-field key's digest, not the body as sent."""
    body = b'{"email":"ada@example.com","password":"quartz-lantern-7","new_password":"x-y-z-w-1"}'
    request_key = hmac.new(SECRET, b"keel idempotency request fingerprint", hashlib.sha256).digest()
    canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    in_clear = hmac.new(request_key, b"POST /api/v1/auth/register\n" + canonical, hashlib.sha256).hexdigest()
    fingerprints = RequestFingerprints(SECRET)
    assert fingerprints.fingerprint(register(body)) != in_clear
    no_password = register(b'{"email":"ada@example.com"}')
    without = hmac.new(request_key, b"POST /api/v1/auth/register\n" + no_password.body, hashlib.sha256)
    assert fingerprints.fingerprint(no_password) == without.hexdigest()
