"""The admin listing's cost does not grow with depth: PostgreSQL's own plan for a deep page proves it.

The statement examined is the one the repository really sends, captured at the driver, then
explained with the same parameters on a table seeded and analysed like a real one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.composition import container
from app.domain.pagination import Cursor
from app.extensions import db
from app.users.models import User
from app.users.repository import SqlUserRepository
from tests.conftest import Backend
from tests.support.accounts import DEFAULT_PASSWORD

SEED_BATCHES = 5
USERS_PER_BATCH = 1000
DEPTH = 4900
PAGE = 21
INDEX = "ix_users_created_at_id"

# Only the PostgreSQL variants run: the plan under test is PostgreSQL's.
pytestmark = pytest.mark.postgres_only


@pytest.fixture
def seeded_app(backend: Backend, committed_app: Flask) -> Flask:
    """5,000 users in separate seeds, so they spread over several timestamps and tie within each."""
    assert backend.is_postgres, "the plan under test is PostgreSQL's; SQLite plans differently"
    with committed_app.app_context():
        for _ in range(SEED_BATCHES):
            container().user_service().seed(count=USERS_PER_BATCH, password=DEFAULT_PASSWORD)
        db.session.execute(sa.text("ANALYZE users"))
        db.session.commit()
    return committed_app


def deep_cursor() -> Cursor:
    """The cursor a client holds after paging DEPTH users into the listing."""
    statement = (
        sa.select(User.created_at, User.id)
        .order_by(User.created_at.desc(), User.id.desc())
        .offset(DEPTH - 1)
        .limit(1)
    )
    row = db.session.execute(statement).one()
    return Cursor(created_at=row.created_at, id=row.id)


def captured_list_query(cursor: Cursor) -> tuple[str, Any]:
    """Run the repository's listing and return the SQL and parameters it sent to the driver."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        sent.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        rows = SqlUserRepository(db.session()).list_page(limit=PAGE, after=cursor, role=None, is_active=None)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    assert len(rows) == PAGE
    assert len(sent) == 1, sent
    return sent[0]


def explain(*, analyze: bool) -> dict[str, Any]:
    statement, parameters = captured_list_query(deep_cursor())
    options = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
    raw = db.session.connection().exec_driver_sql(f"EXPLAIN ({options}) {statement}", parameters).scalar()
    document = json.loads(raw) if isinstance(raw, str) else raw
    plan: dict[str, Any] = document[0]["Plan"]
    return plan


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def index_scan(plan: dict[str, Any]) -> dict[str, Any]:
    scans = [node for node in nodes(plan) if node.get("Index Name") == INDEX]
    assert len(scans) == 1, [node["Node Type"] for node in nodes(plan)]
    return scans[0]


def test_list_page_scans_the_created_at_id_index_backward_when_the_cursor_is_deep(seeded_app: Flask) -> None:
    with seeded_app.app_context():
        scan = index_scan(explain(analyze=False))

    assert (scan["Node Type"], scan["Scan Direction"]) == ("Index Scan", "Backward")


def test_list_page_seeks_to_the_cursor_through_the_index_when_the_cursor_is_deep(seeded_app: Flask) -> None:
    with seeded_app.app_context():
        scan = index_scan(explain(analyze=False))

    assert "created_at" in scan.get("Index Cond", ""), scan
    assert "Filter" not in scan, scan


def test_list_page_plans_no_sort_when_the_cursor_is_deep(seeded_app: Flask) -> None:
    with seeded_app.app_context():
        plan = explain(analyze=False)

    assert not [node["Node Type"] for node in nodes(plan) if "Sort" in node["Node Type"]]


def test_list_page_reads_no_more_than_a_page_of_rows_when_the_cursor_is_deep(seeded_app: Flask) -> None:
    with seeded_app.app_context():
        scan = index_scan(explain(analyze=True))

    read = scan["Actual Rows"] * scan["Actual Loops"] + scan.get("Rows Removed by Filter", 0)
    assert read <= PAGE, scan
