"""Audit events, as SQL: written in the caller's transaction, read newest first by keyset."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.domain.pagination import Cursor
from app.persistence.keyset import newest_first

log = logging.getLogger("keel.audit")


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Where an event came from: the request's client and id, when there is a request."""

    client_address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    event: str | None = None
    user_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


class SqlAuditTrail:
    def __init__(self, session: Session, *, context: Callable[[], AuditContext]) -> None:
        self._session = session
        self._context = context

    def record(
        self, event: str, *, actor_id: uuid.UUID | None, subject_id: uuid.UUID | None, now: datetime
    ) -> None:
        context = self._context()
        self._session.add(
            AuditEvent(
                event=event,
                actor_id=actor_id,
                subject_id=subject_id,
                client_address=context.client_address,
                user_agent=context.user_agent[:256] if context.user_agent else None,
                request_id=context.request_id,
                created_at=now,
            )
        )
        log.info(
            "audit %s",
            event,
            extra={
                "audit_event": event,
                "actor_id": str(actor_id) if actor_id else None,
                "subject_id": str(subject_id) if subject_id else None,
            },
        )

    def page(self, *, limit: int, after: Cursor | None, where: AuditFilter) -> Sequence[AuditEvent]:
        statement = newest_first(AuditEvent, limit=limit, after=after)
        if where.event is not None:
            statement = statement.where(AuditEvent.event == where.event)
        if where.user_id is not None:
            statement = statement.where(
                sa.or_(AuditEvent.actor_id == where.user_id, AuditEvent.subject_id == where.user_id)
            )
        if where.since is not None:
            statement = statement.where(AuditEvent.created_at >= where.since)
        if where.until is not None:
            statement = statement.where(AuditEvent.created_at < where.until)
        return self._session.scalars(statement).all()

    def purge(self, *, before: datetime) -> int:
        statement = sa.delete(AuditEvent).where(AuditEvent.created_at < before)
        return int(self._session.execute(statement.execution_options(synchronize_session=False)).rowcount)  # type: ignore[attr-defined]
