"""Idempotency keys in Redis (when REDIS_URL is set): one string per key, expiring with it.

Every change is a compare-and-set on the exact value read, in one Lua script, so a claim, a
takeover of a lapsed key and a completion can each win only against the state they saw. Expiry is
judged on the app's clock from the stored times; Redis' own TTL only frees the memory after.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import redis

from app.domain.idempotency import IdempotencyStoreUnavailable, KeyRecord, StoredResponse

PREFIX = "keel:idempotency:"
_ATTEMPTS = 3
# Kept a little past its expiry, so the app's clock, not Redis', decides when a key is gone.
_MARGIN_MS = 60_000

_SWAP = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""
_DELETE_IF = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisIdempotencyStore:
    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._swap = client.register_script(_SWAP)
        self._delete_if = client.register_script(_DELETE_IF)

    def close(self) -> None:
        self._client.close()

    def claim(self, key_id: str, record: KeyRecord, *, now: datetime) -> KeyRecord | None:
        name, value, ttl = PREFIX + key_id, _encode(record), _ttl_ms(record.expires_at, now)
        try:
            for _ in range(_ATTEMPTS):
                if self._client.set(name, value, nx=True, px=ttl):
                    return None
                current = self._client.get(name)
                if current is None:
                    continue  # released or expired in between: claim it as new
                holder = _decode(current)
                if not holder.reclaimable(now):
                    return holder
                if self._swap(keys=[name], args=[current, value, ttl]):
                    return None
        except redis.RedisError as error:
            raise IdempotencyStoreUnavailable() from error
        raise RuntimeError("idempotency key claim did not settle")

    def complete(
        self, key_id: str, owner: str, response: StoredResponse, *, expires_at: datetime, now: datetime
    ) -> bool:
        name = PREFIX + key_id
        try:
            current = self._client.get(name)
            if current is None:
                return False
            held = _decode(current)
            if held.owner != owner:
                return False
            done = KeyRecord(
                fingerprint=held.fingerprint,
                owner=None,
                response=response,
                locked_until=held.locked_until,
                expires_at=expires_at,
            )
            return bool(self._swap(keys=[name], args=[current, _encode(done), _ttl_ms(expires_at, now)]))
        except redis.RedisError as error:
            raise IdempotencyStoreUnavailable() from error

    def release(self, key_id: str, owner: str) -> None:
        name = PREFIX + key_id
        try:
            current = self._client.get(name)
            if current is not None and _decode(current).owner == owner:
                self._delete_if(keys=[name], args=[current])
        except redis.RedisError as error:
            raise IdempotencyStoreUnavailable() from error


def _ttl_ms(expires_at: datetime, now: datetime) -> int:
    return max(1, int((expires_at - now).total_seconds() * 1000)) + _MARGIN_MS


def _encode(record: KeyRecord) -> bytes:
    response = record.response
    data: dict[str, Any] = {
        "f": record.fingerprint,
        "o": record.owner,
        "l": record.locked_until.isoformat(),
        "e": record.expires_at.isoformat(),
    }
    if response is not None:
        data["r"] = {
            "s": response.status,
            "h": [list(pair) for pair in response.headers],
            "b": base64.b64encode(response.body).decode("ascii"),
        }
    return json.dumps(data, separators=(",", ":")).encode()


def _decode(raw: bytes | str) -> KeyRecord:
    data = json.loads(raw)
    stored = data.get("r")
    response = None
    if stored is not None:
        response = StoredResponse(
            status=int(stored["s"]),
            headers=tuple((str(name), str(value)) for name, value in stored["h"]),
            body=base64.b64decode(stored["b"]),
        )
    return KeyRecord(
        fingerprint=data["f"],
        owner=data["o"],
        response=response,
        locked_until=datetime.fromisoformat(data["l"]),
        expires_at=datetime.fromisoformat(data["e"]),
    )
