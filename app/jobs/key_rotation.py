"""The scheduled key rotation: every worker checks now and then whether the newest signing key is
JWT_KEY_ROTATION_DAYS old and, if so, adds the next one as `keys rotate` does. The check is cheap and
runs under a lock in the database, so any number of workers may run it: one rotates."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("keel.jobs")

# How often a worker checks; a rotation is due at most this late, against a period of days.
CHECK_INTERVAL_SECONDS = 600.0


class KeyRotation:
    def __init__(
        self, *, rotate_if_due: Callable[[], str | None], interval_seconds: float = CHECK_INTERVAL_SECONDS
    ) -> None:
        self._rotate_if_due = rotate_if_due
        self._interval = interval_seconds
        self._stopped = threading.Event()

    def check_once(self) -> str | None:
        """The kid of the key added, or None when no rotation was due (or another worker made it)."""
        kid = self._rotate_if_due()
        if kid is not None:
            log.info("signing key rotated on schedule", extra={"kid": kid})
        return kid

    def run(self) -> None:
        while not self._stopped.is_set():
            try:
                self.check_once()
            except Exception:
                log.exception("scheduled key rotation failed")
            self._stopped.wait(self._interval)

    def stop(self) -> None:
        self._stopped.set()
