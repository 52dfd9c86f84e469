"""The owner-scoped repository contract, for every resource `make resource` wrote: each SQL
repository on SQLite and PostgreSQL and its fake (the one the service tests use) pass the same
tests, so a fake cannot decide an outcome the database would not. Resources are registered in
tests/contracts.py's `OWNED_RESOURCES`; with none generated yet, tests/conftest.py leaves this
module out of the collection (nothing to run is not a skip)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from uuid6 import uuid7

from app.domain.errors import PreconditionFailed
from app.domain.pagination import Cursor
from tests.contracts import OwnedStore

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_get_returns_the_added_row_and_none_for_an_unknown_id(owned: OwnedStore) -> None:
    row = owned.new(owned.owners[0], T0)
    owned.repository.add(row)

    found = owned.repository.get(row.id)

    assert found is not None
    assert (found.id, found.owner_id, found.version) == (row.id, owned.owners[0], 1)
    assert owned.stored_version(row) == 1
    assert owned.repository.get(uuid7()) is None


def test_a_flushed_change_advances_the_stored_version_by_one(owned: OwnedStore) -> None:
    row = owned.new(owned.owners[0], T0)
    owned.repository.add(row)

    row.updated_at = T0 + timedelta(minutes=1)
    owned.repository.flush()

    assert owned.stored_version(row) == 2


def test_a_write_over_a_version_moved_behind_its_back_is_refused(owned: OwnedStore) -> None:
    row = owned.new(owned.owners[0], T0)
    owned.repository.add(row)
    owned.bump_version_behind(row)

    row.updated_at = T0 + timedelta(minutes=1)
    with pytest.raises(PreconditionFailed):
        owned.repository.flush()


def test_pages_hold_one_owners_rows_or_everyones_newest_first(owned: OwnedStore) -> None:
    mine, theirs = owned.owners
    rows = [owned.new(mine if i % 2 == 0 else theirs, T0 + timedelta(minutes=i)) for i in range(5)]
    for row in rows:
        owned.repository.add(row)
    newest_first = list(reversed(rows))

    first = owned.repository.list_page(limit=2, after=None, owner_id=mine)
    after = Cursor(created_at=first[-1].created_at, id=first[-1].id)
    rest = owned.repository.list_page(limit=5, after=after, owner_id=mine)
    everyone = owned.repository.list_page(limit=10, after=None, owner_id=None)

    assert [r.id for r in [*first, *rest]] == [r.id for r in newest_first if r.owner_id == mine]
    assert [r.id for r in everyone if r.owner_id in owned.owners] == [r.id for r in newest_first]


def test_delete_removes_the_row(owned: OwnedStore) -> None:
    row = owned.new(owned.owners[0], T0)
    owned.repository.add(row)

    owned.repository.delete(row)

    assert owned.repository.get(row.id) is None
