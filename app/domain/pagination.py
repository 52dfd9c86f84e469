"""Opaque keyset cursors: newest first, id as tie-breaker, so a page costs the same at any depth."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

import orjson

T = TypeVar("T")


class Keyed(Protocol):
    """What a keyset page is ordered by."""

    @property
    def created_at(self) -> datetime: ...

    @property
    def id(self) -> uuid.UUID: ...


K = TypeVar("K", bound=Keyed)

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Cursor:
    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = orjson.dumps([self.created_at.isoformat(), str(self.id)])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            created_at, id_ = orjson.loads(raw)
            parsed = datetime.fromisoformat(created_at)
            if parsed.tzinfo is None:
                raise InvalidCursor("cursor timestamp has no offset")
            # Normalised here, so an offset that pushes the instant out of range fails as a bad cursor.
            return cls(created_at=parsed.astimezone(UTC), id=uuid.UUID(id_))
        except (
            binascii.Error,
            orjson.JSONDecodeError,
            ValueError,
            TypeError,
            AttributeError,
            OverflowError,
        ) as error:
            raise InvalidCursor("Invalid cursor.") from error


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: Cursor | None


def page_of(rows: Sequence[K], limit: int) -> Page[K]:
    """A page from `limit + 1` rows: the extra row only says whether another page follows."""
    items = list(rows[:limit])
    last = items[-1] if items else None
    next_cursor = Cursor(created_at=last.created_at, id=last.id) if len(rows) > limit and last else None
    return Page(items=items, next_cursor=next_cursor)
