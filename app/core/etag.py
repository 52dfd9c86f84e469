"""Entity tags for versioned resources, and If-Match / If-None-Match evaluation."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable


def etag_for(resource_id: uuid.UUID, version: int) -> str:
    digest = hashlib.sha256(f"{resource_id}:{version}".encode()).hexdigest()[:24]
    return f'"{digest}"'


def matches(current: str, candidates: Iterable[str], *, weak: bool = False) -> bool:
    """RFC 9110: `*` matches anything; If-Match compares strongly, If-None-Match weakly."""
    for candidate in candidates:
        if candidate == "*":
            return True
        if weak and candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == current:
            return True
    return False


def parse_header(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]
