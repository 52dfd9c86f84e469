"""The worker's safety net: pending outbox messages whose queue entry was lost are sent again.

A commit followed by a crash before the send, a send while Redis was down, or a worker killed
after taking a message from Redis but before finishing it all leave a pending row past its time.
Every worker sweeps; SKIP LOCKED and the pushed-back time make concurrent sweeps pick disjoint
rows, and the claim in the processor makes a duplicate send harmless.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from app.observability import metrics

log = logging.getLogger("keel.jobs")


class Sweeper:
    def __init__(
        self,
        *,
        find_due: Callable[[datetime], list[uuid.UUID]],
        count_pending: Callable[[], int],
        publish: Callable[[list[uuid.UUID]], None],
        clock: Callable[[], datetime],
        grace: timedelta,
        interval_seconds: float,
    ) -> None:
        self._find_due = find_due
        self._count_pending = count_pending
        self._publish = publish
        self._clock = clock
        self._grace = grace
        self._interval = interval_seconds
        self._stopped = threading.Event()

    def sweep_once(self) -> int:
        ids = self._find_due(self._clock() - self._grace)
        if ids:
            log.warning("re-sending outbox messages past their time", extra={"count": len(ids)})
            metrics.outbox_event("swept", len(ids))
            self._publish(ids)
        metrics.OUTBOX_PENDING.set(self._count_pending())
        return len(ids)

    def run(self, *, heartbeat: Callable[[], None] = lambda: None) -> None:
        while not self._stopped.is_set():
            try:
                self.sweep_once()
                heartbeat()
            except Exception:
                log.exception("outbox sweep failed")
            self._stopped.wait(self._interval)

    def stop(self) -> None:
        self._stopped.set()
