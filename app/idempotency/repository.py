"""Idempotency keys in SQL. Each call is its own short transaction on its own connection: a claim
must be visible to a concurrent retry before the request acts, whatever the request's own
transaction does. Claiming is one INSERT ... ON CONFLICT DO NOTHING, or one conditional UPDATE of a
record that expired or whose request died, so two requests with one key never both get it.

A database that does not answer (refused, dropped or timed-out connections, an exhausted pool) is
the store's outage, reported as IdempotencyStoreUnavailable like the Redis store's: a 503 before
the request acts, and only a log line once it has (its answer stands; the key stays claimed until
its lock lapses)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from app.domain.idempotency import IdempotencyStoreUnavailable, KeyRecord, StoredResponse
from app.idempotency.models import IdempotencyKey

log = logging.getLogger("keel.idempotency")

_ATTEMPTS = 3


class SqlIdempotencyStore:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def claim(self, key_id: str, record: KeyRecord, *, now: datetime) -> KeyRecord | None:
        values = _values(record)
        for _ in range(_ATTEMPTS):
            with _database_answers(), self._engine.begin() as connection:
                if connection.execute(_insert_new(connection, key_id, values)).rowcount:
                    return None
                takeover = (
                    sa.update(IdempotencyKey)
                    .where(
                        IdempotencyKey.key_id == key_id,
                        sa.or_(
                            IdempotencyKey.expires_at <= now,
                            sa.and_(IdempotencyKey.owner.is_not(None), IdempotencyKey.locked_until <= now),
                        ),
                    )
                    .values(values)
                )
                if connection.execute(takeover).rowcount:
                    return None
                row = connection.execute(
                    sa.select(IdempotencyKey.__table__).where(IdempotencyKey.key_id == key_id)
                ).one_or_none()
            if row is not None:
                return _record(row)
            # Released between the insert and the read: try again as a new key.
        raise RuntimeError("idempotency key claim did not settle")

    def complete(
        self, key_id: str, owner: str, response: StoredResponse, *, expires_at: datetime, now: datetime
    ) -> bool:
        statement = (
            sa.update(IdempotencyKey)
            .where(IdempotencyKey.key_id == key_id, IdempotencyKey.owner == owner)
            .values(
                owner=None,
                expires_at=expires_at,
                response_status=response.status,
                response_headers=[list(pair) for pair in response.headers],
                response_body=response.body,
            )
        )
        with _database_answers(), self._engine.begin() as connection:
            return bool(connection.execute(statement).rowcount)

    def release(self, key_id: str, owner: str) -> None:
        statement = sa.delete(IdempotencyKey).where(
            IdempotencyKey.key_id == key_id, IdempotencyKey.owner == owner
        )
        with _database_answers(), self._engine.begin() as connection:
            connection.execute(statement)

    def purge(self, *, now: datetime) -> int:
        """Delete expired keys (`flask --app wsgi idempotency purge`); a claim reuses one anyway."""
        with self._engine.begin() as connection:
            return connection.execute(
                sa.delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now)
            ).rowcount


@contextlib.contextmanager
def _database_answers() -> Iterator[None]:
    """Turn a database outage into the store's outage; any other failure stays what it is."""
    try:
        yield
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as error:
        # The errors the app answers as "database unavailable" (app.web.error_handlers).
        log.error("idempotency store: database unavailable: %s", type(error).__name__)
        raise IdempotencyStoreUnavailable() from error


def _insert_new(connection: sa.Connection, key_id: str, values: dict[str, Any]) -> sa.Insert:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement: sa.Insert = (
        dialect.insert(IdempotencyKey)
        .values(key_id=key_id, **values)
        .on_conflict_do_nothing(index_elements=["key_id"])
    )
    return statement


def _values(record: KeyRecord) -> dict[str, Any]:
    response = record.response
    return {
        "fingerprint": record.fingerprint,
        "owner": record.owner,
        "locked_until": record.locked_until,
        "expires_at": record.expires_at,
        "response_status": response.status if response else None,
        "response_headers": [list(pair) for pair in response.headers] if response else None,
        "response_body": response.body if response else None,
    }


def _record(row: sa.Row[Any]) -> KeyRecord:
    response = None
    if row.response_status is not None:
        response = StoredResponse(
            status=row.response_status,
            headers=tuple((str(name), str(value)) for name, value in row.response_headers or ()),
            body=bytes(row.response_body or b""),
        )
    return KeyRecord(
        fingerprint=row.fingerprint,
        owner=row.owner,
        response=response,
        locked_until=row.locked_until,
        expires_at=row.expires_at,
    )
