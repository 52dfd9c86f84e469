"""Processing one outbox message: claim it, run its handler, and record the outcome.

A handler's failure (the mail server refused, timed out, was down) is recorded on the message and
answered with a delay: the queue runs it again then, with exponential backoff, until the message
has used `max_attempts` and is dead. The claim is a row lock held for the whole run, so a message
that two workers receive is processed by one of them only.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from app.domain.clock import utcnow
from app.domain.unit_of_work import UnitOfWork
from app.outbox.models import OutboxMessage

log = logging.getLogger("keel.outbox")

_ADDRESS = re.compile(r"[^\s<>@\"']+@[^\s<>\"']+")


class OutboxStore(Protocol):
    def claim(self, message_id: uuid.UUID) -> OutboxMessage | None: ...
    def mark_done(self, message: OutboxMessage, *, now: datetime) -> None: ...
    def record_failure(
        self, message_id: uuid.UUID, *, error: str, next_attempt_at: datetime, dead: bool, now: datetime
    ) -> int: ...
    def attempts_of(self, message_id: uuid.UUID) -> int: ...


class OutboxUnitOfWork(UnitOfWork, Protocol):
    @property
    def outbox(self) -> OutboxStore: ...


Handler = Callable[[Any, Mapping[str, Any]], None]
"""Runs one kind of message inside the claiming transaction: (unit of work, payload)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # "done", "skipped" (not pending or held elsewhere), "retry" or "dead"
    retry_in: timedelta | None = None


DONE = Outcome("done")
SKIPPED = Outcome("skipped")
DEAD = Outcome("dead")


def describe(error: BaseException) -> str:
    """The error's class and message, addresses masked: SMTP replies often quote the recipient."""
    return f"{type(error).__name__}: {_ADDRESS.sub('[address]', str(error))}"[:300]


class OutboxProcessor:
    def __init__(
        self,
        *,
        unit_of_work: Callable[[], OutboxUnitOfWork],
        handlers: Mapping[str, Handler],
        max_attempts: int,
        backoff: Callable[[int], timedelta],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._handlers = handlers
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._clock = clock

    def process(self, message_id: uuid.UUID) -> Outcome:
        with self._unit_of_work() as uow:
            message = uow.outbox.claim(message_id)
            if message is None:
                return SKIPPED
            kind = message.kind
            try:
                handler = self._handlers[kind]
                handler(uow, message.payload)
                uow.outbox.mark_done(message, now=self._clock())
                uow.commit()
                log.info(
                    "outbox message processed", extra={"outbox_kind": kind, "outbox_id": str(message_id)}
                )
                return DONE
            except Exception as error:
                failure = error
        return self._record_failure(message_id, kind, failure)

    def _record_failure(self, message_id: uuid.UUID, kind: str, error: BaseException) -> Outcome:
        now = self._clock()
        with self._unit_of_work() as uow:
            attempts = uow.outbox.attempts_of(message_id) + 1
            dead = attempts >= self._max_attempts
            retry_in = self._backoff(attempts)
            uow.outbox.record_failure(
                message_id, error=describe(error), next_attempt_at=now + retry_in, dead=dead, now=now
            )
            uow.commit()
        extra = {
            "outbox_kind": kind,
            "outbox_id": str(message_id),
            "attempts": attempts,
            "error": describe(error),
        }
        if dead:
            log.error("outbox message dead after its last attempt", extra=extra)
            return DEAD
        log.warning(
            "outbox message failed; retrying", extra={**extra, "retry_in_seconds": retry_in.total_seconds()}
        )
        return Outcome("retry", retry_in)
