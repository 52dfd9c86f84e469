"""What every fake repository shares, so a feature's fake holds only its own rules (its queries and
constraints): rows of one mapped table by id, the column defaults and UTC timestamps the database
gives them, the version bump and conflict of SQLAlchemy's versioned UPDATE, and the snapshot a fake
transaction takes on entry and puts back when the block ends without a commit.

The columns come from the model's mapper, so a new column is tracked (and rolled back) without any
fake being taught it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar, runtime_checkable

import sqlalchemy as sa

from app.domain.errors import PreconditionFailed
from app.domain.pagination import Cursor, Keyed

# Unbounded: mypy checks a protocol bound on `FakeTable[User]` before the model's columns are typed,
# and refuses the model; rows are read through _id and _version instead.
R = TypeVar("R")
T = TypeVar("T")
K = TypeVar("K", bound=Keyed)

# A table's rows as a transaction found them: each row object with its column values.
TableSnapshot = dict[uuid.UUID, tuple[Any, dict[str, Any]]]


def newest_first(rows: Sequence[K], *, limit: int, after: Cursor | None) -> list[K]:
    """The keyset page the SQL query returns (app/persistence/keyset.py), over rows in memory."""
    kept = [r for r in rows if after is None or (r.created_at, r.id) < (after.created_at, after.id)]
    kept.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    return kept[:limit]


class FakeTable(Generic[R]):
    """The rows of one table by id, able to be put back as a rollback would."""

    def __init__(self, model: type[R], clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._rows: dict[uuid.UUID, R] = {}
        mapper = sa.inspect(model)
        assert mapper is not None, f"{model} is not mapped"
        self._columns = mapper.column_attrs

    def __len__(self) -> int:
        return len(self._rows)

    def all(self) -> list[R]:
        return list(self._rows.values())

    def get(self, row_id: uuid.UUID) -> R | None:
        return self._rows.get(row_id)

    def snapshot(self) -> TableSnapshot:
        return {key: (row, self._values(row)) for key, row in self._rows.items()}

    def restore(self, snapshot: TableSnapshot) -> None:
        """Drop rows added since, bring back rows deleted since, and reset every column."""
        for key in [key for key in self._rows if key not in snapshot]:
            self._forget(key)
        for row, values in snapshot.values():
            for name, value in values.items():
                setattr(row, name, value)
            self._keep(row)

    def _keep(self, row: R) -> None:
        self._rows[_id(row)] = row

    def _forget(self, key: uuid.UUID) -> None:
        del self._rows[key]

    def _values(self, row: R) -> dict[str, Any]:
        return {column.key: getattr(row, column.key) for column in self._columns}

    def _fill_defaults(self, row: R) -> None:
        """What the column defaults do on INSERT; a timestamp default reads the fake clock."""
        for column in self._columns:
            default = column.columns[0].default
            if getattr(row, column.key) is not None or default is None:
                continue
            if _is_timestamp(column):
                value: Any = self.clock()
            elif default.is_callable:
                value = default.arg(None)
            else:
                value = default.arg
            setattr(row, column.key, value)

    def _store_utc(self, row: R) -> None:
        """What the UTC column type does: every timestamp comes back aware and in UTC."""
        for column in self._columns:
            value = getattr(row, column.key)
            if isinstance(value, datetime):
                setattr(row, column.key, value.astimezone(UTC))


def _is_timestamp(column: Any) -> bool:
    column_type = column.columns[0].type
    return isinstance(getattr(column_type, "impl", column_type), sa.DateTime)


class VersionedFakeTable(FakeTable[R]):
    """A table under optimistic concurrency, as SQLAlchemy's `version_id_col` keeps it: a flush
    writes changed rows and bumps their version, and a row another writer moved since it was read
    (`bump_stored_version`) refuses the flush with PreconditionFailed, undoing the pending changes
    like a rollback. `_check` is where a subclass raises what its constraints mean."""

    def __init__(self, model: type[R], clock: Callable[[], datetime]) -> None:
        super().__init__(model, clock)
        self._flushed: dict[uuid.UUID, dict[str, Any]] = {}
        # The version each row has "in the database"; another writer may move it.
        self._versions: dict[uuid.UUID, int] = {}

    def flush(self) -> None:
        changed = [row for row in self._rows.values() if self._tracked(row) != self._flushed[_id(row)]]
        for row in changed:
            try:
                if self._versions[_id(row)] != _version(row):
                    raise PreconditionFailed("The resource was changed by another request; read it again.")
                self._check(row)
            except Exception:
                self._undo(changed)
                raise
        for row in changed:
            self._store_utc(row)
            row.version = _version(row) + 1  # type: ignore[attr-defined]
            self._keep(row)

    def stored_version(self, row_id: uuid.UUID) -> int:
        return self._versions[row_id]

    def bump_stored_version(self, row_id: uuid.UUID) -> None:
        """Another request updates the row behind this one's back."""
        self._versions[row_id] += 1

    def _insert(self, row: R) -> None:
        """INSERT now, so a broken constraint surfaces here, then flush what else is pending."""
        self._fill_defaults(row)
        self._store_utc(row)
        self._check(row)
        self._keep(row)
        self.flush()

    def _remove(self, row: R) -> None:
        if self._versions[_id(row)] != _version(row):
            raise PreconditionFailed("The resource was changed by another request; read it again.")
        self._forget(_id(row))

    def _check(self, row: R) -> None:
        """Raise what a constraint broken by this row means to the domain; none by default."""

    def _keep(self, row: R) -> None:
        super()._keep(row)
        self._flushed[_id(row)] = self._tracked(row)
        self._versions[_id(row)] = _version(row)

    def _forget(self, key: uuid.UUID) -> None:
        super()._forget(key)
        del self._flushed[key]
        del self._versions[key]

    def _undo(self, changed: list[R]) -> None:
        for row in changed:
            for name, value in self._flushed[_id(row)].items():
                setattr(row, name, value)

    def _tracked(self, row: R) -> dict[str, Any]:
        """The columns whose change makes SQLAlchemy issue an UPDATE: all but the version itself."""
        values = self._values(row)
        del values["version"]
        return values


def _id(row: Any) -> uuid.UUID:
    return row.id  # type: ignore[no-any-return]


def _version(row: Any) -> int:
    return int(row.version)


class FakeLog(Generic[T]):
    """An append-only record (mails queued, events audited): a rollback drops what the block added."""

    def __init__(self, entries: list[T]) -> None:
        self._entries = entries

    def snapshot(self) -> int:
        return len(self._entries)

    def restore(self, snapshot: int) -> None:
        del self._entries[snapshot:]


@runtime_checkable
class Rollbackable(Protocol):
    def snapshot(self) -> Any: ...
    def restore(self, snapshot: Any) -> None: ...


class FakeTransaction:
    """The fake unit of work's transaction: entering snapshots every attribute that can be rolled
    back (each fake table and log it holds), and leaving without a commit restores them all, as
    the SQL unit of work's rollback does. Counts commits and rollbacks."""

    def __init__(self) -> None:
        self.commits = 0
        self.rollbacks = 0
        self._committed = False
        self._snapshots: list[tuple[Rollbackable, Any]] = []

    def __enter__(self) -> Self:
        self._committed = False
        self._snapshots = [(part, part.snapshot()) for part in self._parts()]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.rollbacks += 1
            for part, snapshot in self._snapshots:
                part.restore(snapshot)

    def commit(self) -> None:
        self.commits += 1
        self._committed = True

    def _parts(self) -> list[Rollbackable]:
        parts: dict[int, Rollbackable] = {}
        for value in vars(self).values():
            if isinstance(value, Rollbackable):
                parts.setdefault(id(value), value)
        return list(parts.values())
