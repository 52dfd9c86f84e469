"""The keyset page query, once for every listing: newest first, id as tie-breaker, and the cursor as
one row comparison, which PostgreSQL answers with a seek on a `(created_at, id)` index (the same
condition written as an OR of two comparisons is only a filter that reads every row before it).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast

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


def newest_first_seeking(model: type[K], *, after: bool) -> sa.Select[tuple[K]]:
    """`newest_first` with the limit and the cursor as bound parameters (`page_parameters`), to be
    built once per filter shape and run with new values: building and keying a statement per
    request cost more CPU than PostgreSQL spends answering it (docs/benchmarks.md)."""
    columns = cast(_KeyColumns, model)
    statement = (
        sa.select(model)
        .order_by(columns.created_at.desc(), columns.id.desc())
        .limit(sa.bindparam("page_limit", type_=sa.Integer()))
    )
    if after:
        cursor = sa.tuple_(
            sa.bindparam("after_created_at", type_=columns.created_at.type),
            sa.bindparam("after_id", type_=columns.id.type),
        )
        statement = statement.where(sa.tuple_(columns.created_at, columns.id) < cursor)
    return statement


def page_parameters(*, limit: int, after: Cursor | None) -> dict[str, Any]:
    """The values of `newest_first_seeking`'s bound parameters."""
    if after is None:
        return {"page_limit": limit}
    return {"page_limit": limit, "after_created_at": after.created_at, "after_id": after.id}
