"""Idempotency keys (draft-ietf-httpapi-idempotency-key-header): a retried request is answered, not redone.

The first request with a key claims it, acts, and stores its response; a retry with the same key
and the same request gets that response back. A key is the caller's own (its scope: an account, or
a client address when anonymous), lives `ttl`, and is held by a running request for at most `lock`:
a process that died mid-request does not block its key for a day.

A record lives a day next to its response, so it holds nothing a word list could reverse: the key
and the request are stored as HMACs under keys derived from the server's secret, and a password
field is HMAC'd on its own before it enters the request's fingerprint.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import orjson

from app.domain.errors import Conflict, InvalidInput, ServiceUnavailable

HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class KeyRecord:
    """A key's state: running (`owner` set, no response yet) or done (`response` set, no owner)."""

    fingerprint: str
    owner: str | None
    response: StoredResponse | None
    locked_until: datetime
    expires_at: datetime

    def reclaimable(self, now: datetime) -> bool:
        """Expired, or running past its lock (the request holding it died)."""
        return self.expires_at <= now or (self.owner is not None and self.locked_until <= now)


class IdempotencyStoreUnavailable(ServiceUnavailable):
    """The store did not answer: a 503 before a request acts, only a log line after it has."""

    default_detail = "Idempotency keys cannot be checked right now; try again shortly."


class IdempotencyStore(Protocol):
    """Keys and their records. Every method raises IdempotencyStoreUnavailable when the store is down."""

    def claim(self, key_id: str, record: KeyRecord, *, now: datetime) -> KeyRecord | None:
        """Store `record` unless a live record holds the key; atomically. None if stored, else the holder."""

    def complete(
        self, key_id: str, owner: str, response: StoredResponse, *, expires_at: datetime, now: datetime
    ) -> bool:
        """Record the response of the running request `owner`; False if it no longer holds the key."""

    def release(self, key_id: str, owner: str) -> None:
        """Forget the key if `owner` still holds it: the request may be retried as new."""


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was used for a different request."

    def __init__(self) -> None:
        super().__init__(field=HEADER, location="headers")


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    default_detail = "A request with this Idempotency-Key is still being processed; retry shortly."


@dataclass(frozen=True)
class Proceed:
    """The key is this request's: act, then `finish` (or `abandon`)."""

    key_id: str
    owner: str
    expires_at: datetime


@dataclass(frozen=True)
class Replay:
    """The key was used for this same request before: answer with its response."""

    response: StoredResponse


@dataclass(frozen=True)
class RequestContent:
    """What makes two requests with one key the same request."""

    method: str
    path: str
    body: bytes


# Body fields whose values are secrets: never fingerprinted in clear, even under a key.
_SECRET_FIELD = re.compile(r"password|secret|token", re.IGNORECASE)


class RequestFingerprints:
    """Keyed digests of keys and requests: without the server's secret a stored record cannot be
    matched against guessed bodies or passwords. Each use has a key of its own, derived from the
    secret with a purpose label, so none of them is the signing key itself."""

    def __init__(self, secret: bytes) -> None:
        self._key_id_key = _derive(secret, "idempotency key id")
        self._request_key = _derive(secret, "idempotency request fingerprint")
        self._secret_field_key = _derive(secret, "idempotency secret field")

    def key_id(self, scope: str, key: str) -> str:
        """Keys of different callers never meet, and no raw client input becomes a storage key."""
        return hmac.new(self._key_id_key, f"{scope}\n{key}".encode(), hashlib.sha256).hexdigest()

    def fingerprint(self, request: RequestContent) -> str:
        """Method, path and body; a JSON body by its content, so key order and spacing do not count."""
        body = request.body
        # orjson reads 1024 levels of nesting but writes only 254 (and masking recurses): a deeper
        # body is digested as sent, still under the key.
        with contextlib.suppress(orjson.JSONDecodeError, orjson.JSONEncodeError, RecursionError):
            body = orjson.dumps(self._masked(orjson.loads(body)), option=orjson.OPT_SORT_KEYS)
        digest = hmac.new(self._request_key, f"{request.method} {request.path}\n".encode(), hashlib.sha256)
        digest.update(body)
        return digest.hexdigest()

    def _masked(self, value: Any) -> Any:
        """The JSON document with each secret field's value replaced by its own HMAC."""
        if isinstance(value, dict):
            return {
                name: self._secret_digest(item) if _SECRET_FIELD.search(name) else self._masked(item)
                for name, item in value.items()
            }
        if isinstance(value, list):
            return [self._masked(item) for item in value]
        return value

    def _secret_digest(self, value: Any) -> str:
        return hmac.new(self._secret_field_key, orjson.dumps(value), hashlib.sha256).hexdigest()


def _derive(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, f"keel {purpose}".encode(), hashlib.sha256).digest()


class IdempotencyService:
    def __init__(
        self,
        store: IdempotencyStore,
        *,
        fingerprints: RequestFingerprints,
        ttl: timedelta,
        lock: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._fingerprints = fingerprints
        self._ttl = ttl
        self._lock = lock
        self._clock = clock

    def begin(self, scope: str, key: str, request: RequestContent) -> Proceed | Replay:
        now = self._clock()
        fingerprint = self._fingerprints.fingerprint(request)
        claim = Proceed(
            key_id=self._fingerprints.key_id(scope, key),
            owner=secrets.token_hex(16),
            expires_at=now + self._ttl,
        )
        running = KeyRecord(
            fingerprint=fingerprint,
            owner=claim.owner,
            response=None,
            locked_until=now + self._lock,
            expires_at=claim.expires_at,
        )
        holder = self._store.claim(claim.key_id, running, now=now)
        if holder is None:
            return claim
        if holder.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if holder.response is None:
            raise IdempotencyKeyInUse()
        return Replay(holder.response)

    def finish(self, claim: Proceed, response: StoredResponse) -> None:
        self._store.complete(
            claim.key_id, claim.owner, response, expires_at=claim.expires_at, now=self._clock()
        )

    def abandon(self, claim: Proceed) -> None:
        self._store.release(claim.key_id, claim.owner)
