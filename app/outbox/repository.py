"""Outbox messages, as SQL. A message is claimed with FOR UPDATE SKIP LOCKED, so two workers that
receive the same message (a sweep re-sent it, a broker redelivered it) never both process it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.outbox.models import OutboxMessage

# Ids added in the session's current transaction, published to the queue once it commits.
NEW_IDS = "keel.outbox.new"


class SqlOutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, kind: str, payload: Mapping[str, Any], *, now: datetime) -> uuid.UUID:
        message = OutboxMessage(kind=kind, payload=dict(payload), next_attempt_at=now, created_at=now)
        self._session.add(message)
        self._session.flush([message])
        self._session.info.setdefault(NEW_IDS, []).append(message.id)
        return message.id

    def take_new(self) -> list[uuid.UUID]:
        """The ids added since the last call: the caller publishes them after a commit, drops them after a rollback."""
        return list(self._session.info.pop(NEW_IDS, ()))

    def claim(self, message_id: uuid.UUID) -> OutboxMessage | None:
        """The pending message, locked for this transaction; None if done, dead, or held by another worker."""
        statement = (
            sa.select(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
            .with_for_update(skip_locked=True)
        )
        return self._session.scalars(statement).one_or_none()

    def mark_done(self, message: OutboxMessage, *, now: datetime) -> None:
        message.status = "done"
        message.processed_at = now
        message.payload = {}
        message.last_error = None

    def record_failure(
        self, message_id: uuid.UUID, *, error: str, next_attempt_at: datetime, dead: bool, now: datetime
    ) -> int:
        """Count a failed attempt; a dead message keeps its payload so it can be retried by hand."""
        values: dict[str, Any] = {
            "attempts": OutboxMessage.attempts + 1,
            "last_error": error[:300],
            "next_attempt_at": next_attempt_at,
        }
        if dead:
            values |= {"status": "dead", "processed_at": now}
        statement = (
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
            .values(**values)
            .returning(OutboxMessage.attempts)
        )
        return int(self._session.execute(statement).scalar_one_or_none() or 0)

    def attempts_of(self, message_id: uuid.UUID) -> int:
        return int(
            self._session.scalar(sa.select(OutboxMessage.attempts).where(OutboxMessage.id == message_id)) or 0
        )

    def due(self, *, before: datetime, now: datetime, limit: int) -> list[uuid.UUID]:
        """Pending messages past their time (their queue entry was lost), pushed back so that
        concurrent sweeps and the next sweep leave them alone while they are queued again."""
        statement = (
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at < before)
            .order_by(OutboxMessage.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(self._session.scalars(statement))
        if ids:
            self._session.execute(
                sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(next_attempt_at=now)
            )
        return ids

    def dead(self, *, limit: int) -> Sequence[OutboxMessage]:
        statement = (
            sa.select(OutboxMessage)
            .where(OutboxMessage.status == "dead")
            .order_by(OutboxMessage.processed_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
        return self._session.scalars(statement).all()

    def revive(self, message_ids: Sequence[uuid.UUID] | None, *, now: datetime) -> list[uuid.UUID]:
        """Dead messages back to pending with a fresh budget of attempts (all of them when ids is None)."""
        statement = sa.update(OutboxMessage).where(OutboxMessage.status == "dead")
        if message_ids is not None:
            statement = statement.where(OutboxMessage.id.in_(message_ids))
        statement = statement.values(
            status="pending", attempts=0, next_attempt_at=now, processed_at=None
        ).returning(OutboxMessage.id)
        ids = list(self._session.execute(statement).scalars())
        self._session.info.setdefault(NEW_IDS, []).extend(ids)
        return ids

    def count(self, status: str) -> int:
        return int(
            self._session.scalar(
                sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.status == status)
            )
            or 0
        )

    def purge_done(self, *, before: datetime) -> int:
        """Forget messages processed before the cut-off; dead ones stay until retried or inspected."""
        statement = sa.delete(OutboxMessage).where(
            OutboxMessage.status == "done", OutboxMessage.processed_at < before
        )
        return int(self._session.execute(statement.execution_options(synchronize_session=False)).rowcount)  # type: ignore[attr-defined]
