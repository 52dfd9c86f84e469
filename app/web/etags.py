"""Entity tags for versioned resources, and their translation into the domain's expected version.

A tag reads `"<version>-<digest>"`: the digest ties it to one resource, so a tag copied from another
user never matches, and the version lets a route hand the service an `ExpectedVersion` instead of
header lists. Clients treat tags as opaque, as RFC 9110 asks.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable

from app.domain.versions import ExpectedVersion

_DIGEST_CHARS = 16


def etag_for(resource_id: uuid.UUID, version: int) -> str:
    return f'"{version}-{_digest(resource_id, version)}"'


def version_in(tag: str, resource_id: uuid.UUID) -> int | None:
    """The version a strong tag names for this resource; None for weak, foreign or malformed tags."""
    if not (len(tag) >= 2 and tag[0] == '"' and tag[-1] == '"'):
        return None
    version_text, _, digest = tag[1:-1].partition("-")
    if not version_text.isdigit() or len(version_text) > 18:
        return None
    version = int(version_text)
    return version if digest == _digest(resource_id, version) else None


def expected_version(if_match: str | None, resource_id: uuid.UUID) -> ExpectedVersion | None:
    """If-Match as the domain reads it: None when absent or `*` (any current representation)."""
    candidates = parse_header(if_match)
    if candidates is None or "*" in candidates:
        return None
    versions = (version_in(candidate, resource_id) for candidate in candidates)
    return ExpectedVersion(frozenset(v for v in versions if v is not None))


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


def _digest(resource_id: uuid.UUID, version: int) -> str:
    return hashlib.sha256(f"{resource_id}:{version}".encode()).hexdigest()[:_DIGEST_CHARS]
