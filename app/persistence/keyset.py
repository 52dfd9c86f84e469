"""The keyset page query, once for every listing: newest first, id as tie-breaker, and the cursor as
one row comparison, which PostgreSQL answers with a seek on a `(created_at, id)` index (the same
condition written as an OR of two comparisons is only a filter that reads every row before it).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from app.domain.pagination import Cursor, Keyed

K = TypeVar("K", bound=Keyed)


class _KeyColumns(Protocol):
    """The same two attributes as the mapped class holds them: columns, not values."""

    created_at: InstrumentedAttribute[datetime]
    id: InstrumentedAttribute[uuid.UUID]


def newest_first(model: type[K], *, limit: int, after: Cursor | None) -> sa.Select[tuple[K]]:
    """`SELECT model ORDER BY created_at DESC, id DESC LIMIT limit`, after the cursor's row; the
    caller adds its filters with `.where(...)`."""
    columns = cast(_KeyColumns, model)
    statement = sa.select(model).order_by(columns.created_at.desc(), columns.id.desc()).limit(limit)
    if after is not None:
        statement = statement.where(sa.tuple_(columns.created_at, columns.id) < (after.created_at, after.id))
    return statement
