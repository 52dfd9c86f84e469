"""Opaque keyset cursors: newest first, id as tie-breaker, so a page costs the same at any depth."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

import orjson

T = TypeVar("T")

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
