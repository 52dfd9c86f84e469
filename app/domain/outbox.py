"""The outbox port: work a change causes (a mail, a follow-up job), recorded in the change's own
transaction, so a rolled-back change causes nothing and a committed one is never lost."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol


class Outbox(Protocol):
    def add(self, kind: str, payload: Mapping[str, Any], *, now: datetime) -> uuid.UUID:
        """Record `kind` with its JSON-serialisable `payload`; it runs once the transaction commits."""
        ...
