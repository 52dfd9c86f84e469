"""Optimistic concurrency in domain terms: a write based on a version applies only while it is current."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from app.domain.errors import PreconditionFailed


@dataclass(frozen=True, slots=True)
class ExpectedVersion:
    """The versions a conditional write was based on; a client may name several, and none matches nothing."""

    versions: frozenset[int]

    @classmethod
    def of(cls, *versions: int) -> ExpectedVersion:
        return cls(frozenset(versions))

    def ensure_current(self, current: int) -> None:
        if current not in self.versions:
            raise PreconditionFailed()


class Versioned(Protocol):
    """A row under optimistic concurrency: its id and the version it was read at (what an ETag names)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def version(self) -> int: ...
