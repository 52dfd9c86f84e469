"""Reading and pruning the audit trail: admins read it, operators prune it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from app.audit.models import AuditEvent
from app.audit.repository import AuditFilter, SqlAuditTrail
from app.domain.clock import utcnow
from app.domain.pagination import Cursor, Page, page_of
from app.domain.principal import Principal
from app.domain.unit_of_work import UnitOfWork
from app.users import policy


class AuditUnitOfWork(UnitOfWork, Protocol):
    @property
    def audit(self) -> SqlAuditTrail: ...


class AuditService:
    def __init__(self, *, uow: AuditUnitOfWork, clock: Callable[[], datetime] = utcnow) -> None:
        self._uow = uow
        self._clock = clock

    def list(
        self, actor: Principal, *, limit: int, after: Cursor | None, where: AuditFilter
    ) -> Page[AuditEvent]:
        policy.ensure_admin(actor)
        with self._uow as uow:
            rows = list(uow.audit.page(limit=limit + 1, after=after, where=where))
        return page_of(rows, limit)

    def purge(self, *, older_than: timedelta) -> int:
        with self._uow as uow:
            purged = uow.audit.purge(before=self._clock() - older_than)
            uow.commit()
        return purged
