"""Both Idempotency-Key stores keep one contract: the database (SQLite, PostgreSQL) and Redis.

Claiming is the step every guarantee rests on, so it is also raced: many threads, one key, one
winner, on each store.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from flask import Flask

from app.domain.idempotency import IdempotencyStore, KeyRecord, StoredResponse
from app.extensions import db
from app.idempotency.redis_store import RedisIdempotencyStore
from app.idempotency.repository import SqlIdempotencyStore
from tests.conftest import IDEMPOTENCY_STORES, REDIS_URL

LOCK = timedelta(seconds=60)
TTL = timedelta(hours=24)
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
RESPONSE = StoredResponse(status=201, headers=(("Location", "/api/v1/users/1"),), body=b'{"id": 1}')


@pytest.fixture(params=IDEMPOTENCY_STORES)
def keys(request: pytest.FixtureRequest, app: Flask) -> Iterator[IdempotencyStore]:
    if request.param == "database":
        with app.app_context():
            yield SqlIdempotencyStore(db.engine)
        return
    assert REDIS_URL is not None
    client = redis.Redis.from_url(REDIS_URL)
    yield RedisIdempotencyStore(client)
    client.close()


def running(owner: str, now: datetime = T0, fingerprint: str = "f1") -> KeyRecord:
    return KeyRecord(
        fingerprint=fingerprint, owner=owner, response=None, locked_until=now + LOCK, expires_at=now + TTL
    )


def new_key() -> str:
    return uuid.uuid4().hex * 2


def test_a_new_key_is_claimed_and_then_held(keys: IdempotencyStore) -> None:
    key = new_key()
    assert keys.claim(key, running("a"), now=T0) is None
    holder = keys.claim(key, running("b", fingerprint="f2"), now=T0 + timedelta(seconds=1))
    assert holder is not None
    assert (holder.owner, holder.fingerprint, holder.response) == ("a", "f1", None)


def test_a_completed_key_answers_with_its_response(keys: IdempotencyStore) -> None:
    key = new_key()
    keys.claim(key, running("a"), now=T0)
    assert keys.complete(key, "a", RESPONSE, expires_at=T0 + TTL, now=T0)
    holder = keys.claim(key, running("b"), now=T0 + timedelta(hours=1))
    assert holder is not None
    assert holder.owner is None
    assert holder.response == RESPONSE


def test_only_the_owner_completes_or_releases(keys: IdempotencyStore) -> None:
    key = new_key()
    keys.claim(key, running("a"), now=T0)
    assert not keys.complete(key, "b", RESPONSE, expires_at=T0 + TTL, now=T0)
    keys.release(key, "b")
    holder = keys.claim(key, running("c"), now=T0)
    assert holder is not None
    assert (holder.owner, holder.response) == ("a", None)
    keys.release(key, "a")
    assert keys.claim(key, running("c"), now=T0) is None


def test_a_completed_key_is_not_released(keys: IdempotencyStore) -> None:
    key = new_key()
    keys.claim(key, running("a"), now=T0)
    keys.complete(key, "a", RESPONSE, expires_at=T0 + TTL, now=T0)
    keys.release(key, "a")
    holder = keys.claim(key, running("b"), now=T0)
    assert holder is not None
    assert holder.response == RESPONSE


def test_an_expired_key_is_claimed_anew(keys: IdempotencyStore) -> None:
    key = new_key()
    keys.claim(key, running("a"), now=T0)
    keys.complete(key, "a", RESPONSE, expires_at=T0 + TTL, now=T0)
    later = T0 + TTL + timedelta(seconds=1)
    assert keys.claim(key, running("b", now=later, fingerprint="f2"), now=later) is None
    holder = keys.claim(key, running("c", now=later), now=later)
    assert holder is not None
    assert (holder.owner, holder.fingerprint, holder.response) == ("b", "f2", None)


def test_a_running_key_is_held_until_its_lock_lapses_then_taken_over(keys: IdempotencyStore) -> None:
    key = new_key()
    keys.claim(key, running("a"), now=T0)
    within = T0 + LOCK - timedelta(seconds=1)
    holder = keys.claim(key, running("b", now=within), now=within)
    assert holder is not None
    assert holder.owner == "a"
    lapsed = T0 + LOCK + timedelta(seconds=1)
    assert keys.claim(key, running("b", now=lapsed), now=lapsed) is None
    assert not keys.complete(key, "a", RESPONSE, expires_at=T0 + TTL, now=lapsed)
    assert keys.complete(key, "b", RESPONSE, expires_at=lapsed + TTL, now=lapsed)


@pytest.mark.parametrize("state", ["new", "expired", "lapsed"])
def test_concurrent_claims_of_one_key_have_one_winner(keys: IdempotencyStore, state: str) -> None:
    key, contenders = new_key(), 12
    now = T0
    if state != "new":
        keys.claim(key, running("first"), now=T0)
        if state == "expired":
            keys.complete(key, "first", RESPONSE, expires_at=T0 + TTL, now=T0)
        now = T0 + (TTL if state == "expired" else LOCK) + timedelta(seconds=1)
    barrier = threading.Barrier(contenders, timeout=20)
    results: list[KeyRecord | str | None] = ["unset"] * contenders

    def contend(index: int) -> None:
        barrier.wait()
        results[index] = keys.claim(key, running(f"c{index}", now=now), now=now)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [i for i, result in enumerate(results) if result is None]
    assert len(winners) == 1, results
    holders = {result.owner for result in results if isinstance(result, KeyRecord)}
    assert holders == {f"c{winners[0]}"}
