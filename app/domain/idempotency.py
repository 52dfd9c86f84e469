"""Idempotency keys (draft-ietf-httpapi-idempotency-key-header): a retried request is answered, not redone.

The first request with a key claims it, acts, and stores its response; a retry with the same key
and the same request gets that response back. A key is the caller's own (its scope: an account, or
a client address when anonymous), lives `ttl`, and is held by a running request for at most `lock`:
a process that died mid-request does not block its key for a day.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from app.domain.errors import Conflict, InvalidInput

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


class IdempotencyStore(Protocol):
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


def key_id(scope: str, key: str) -> str:
    """Keys of different callers never meet, and no raw client input becomes a storage key."""
    return hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()


class IdempotencyService:
    def __init__(
        self,
        store: IdempotencyStore,
        *,
        ttl: timedelta,
        lock: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._ttl = ttl
        self._lock = lock
        self._clock = clock

    def begin(self, scope: str, key: str, fingerprint: str) -> Proceed | Replay:
        now = self._clock()
        claim = Proceed(key_id=key_id(scope, key), owner=secrets.token_hex(16), expires_at=now + self._ttl)
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
