"""`flask --app wsgi db migrate`, run as documented in a copy of the project whose models changed,
writes a revision that upgrades and downgrades on SQLite and PostgreSQL, and in the style of the
revisions already in migrations/versions."""

from __future__ import annotations

import ast
import builtins
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Backend
from tests.support import databases

ROOT = Path(__file__).resolve().parents[2]
NUMBERED = re.compile(r"\d{8}_(\d{4})_\w+\.py")

# A new table using Keel's column types, and a new indexed column on an existing table.
PROBE_MODULE = '''
"""Probe rows: a schema change for `flask db migrate` to find."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.persistence.base import Base, UTCDateTime
from app.users.models import User


class ProbeRow(Base):
    __tablename__ = "probe_rows"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


User.__table__.append_column(sa.Column("last_seen_at", UTCDateTime(), nullable=True, index=True))
'''


@pytest.fixture
def database_url(backend: Backend, tmp_path: Path) -> Iterator[str]:
    """A database migrated to the newest revision of the repository."""
    if not backend.is_postgres:
        yield databases.copy_sqlite(backend.template_url, tmp_path / "keel.db")
        return
    name = str(sa.make_url(backend.template_url).database)
    url = databases.create_pg_database(backend.template_url, template=name, prefix="keel_autogen")
    yield url
    databases.drop_pg_database(url)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """What `flask --app wsgi` needs, copied: the app, its migrations, wsgi.py, and the ruff settings."""
    copy = tmp_path / "project"
    copy.mkdir()
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "app", copy / "app", ignore=ignore)
    shutil.copytree(ROOT / "migrations", copy / "migrations", ignore=ignore)
    shutil.copy(ROOT / "wsgi.py", copy / "wsgi.py")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def flask_db(project: Path, database_url: str, *args: str) -> str:
    env = {**os.environ, **databases.base_overrides(database_url)}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", *args],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    return result.stdout


def revisions(project: Path) -> set[str]:
    return {path.name for path in (project / "migrations" / "versions").glob("*.py")}


def schema(database_url: str) -> dict[str, set[str]]:
    """Each table's columns, index and unique constraint names, as the database reports them."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        return {
            table: {column["name"] for column in inspector.get_columns(table)}
            | {
                str(index["name"])
                for index in inspector.get_indexes(table)
                if "duplicates_constraint" not in index
            }
            | {str(unique["name"]) for unique in inspector.get_unique_constraints(table)}
            for table in inspector.get_table_names()
        }
    finally:
        engine.dispose()


def undefined_names(source: str) -> set[str]:
    """Names the revision reads but neither imports nor defines (an `app.` type without its import)."""
    tree = ast.parse(source)
    defined = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            defined |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            defined |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.FunctionDef):
            defined.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
    used = {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return used - defined


def test_migrate_on_an_up_to_date_database_writes_nothing(project: Path, database_url: str) -> None:
    before = revisions(project)

    output = flask_db(project, database_url, "migrate", "-m", "nothing changed")

    assert "No changes in schema detected" in output
    assert revisions(project) == before


def newest_number(names: set[str]) -> int:
    return max(int(match.group(1)) for name in names if (match := NUMBERED.fullmatch(name)))


def test_revision_writes_the_next_numbered_revision_for_a_hand_written_change(
    project: Path, database_url: str
) -> None:
    before = revisions(project)

    flask_db(project, database_url, "revision", "-m", "backfill probe_rows")

    (written,) = revisions(project) - before
    number = f"{newest_number(before) + 1:04d}"
    assert re.fullmatch(rf"\d{{8}}_{number}_backfill_probe_rows\.py", written), written
    source = (project / "migrations" / "versions" / written).read_text()
    assert f'revision = "{number}"' in source
    assert f'down_revision = "{newest_number(before):04d}"' in source
    flask_db(project, database_url, "upgrade")
    flask_db(project, database_url, "downgrade")


def test_migrate_writes_the_next_numbered_revision_that_upgrades_and_downgrades(
    project: Path, database_url: str
) -> None:
    before = revisions(project)
    newest = newest_number(before)
    (project / "app" / "probe_rows.py").write_text(PROBE_MODULE)
    with (project / "app" / "models.py").open("a") as models:
        models.write("\nfrom app.probe_rows import ProbeRow  # noqa: E402,F401\n")
    tables_before = schema(database_url)

    flask_db(project, database_url, "migrate", "-m", "add probe_rows")

    (written,) = revisions(project) - before
    number = f"{newest + 1:04d}"
    assert re.fullmatch(rf"\d{{8}}_{number}_add_probe_rows\.py", written), written
    source = (project / "migrations" / "versions" / written).read_text()
    assert f'revision = "{number}"' in source
    assert f'down_revision = "{newest:04d}"' in source
    assert undefined_names(source) == set()
    assert "app." not in source, "a revision must not depend on application code"
    assert "# ###" not in source, source
    assert source.count("sa.DateTime(timezone=True)") == 3, source
    # A new table and its indexes read as the existing revisions do; only the change to an existing
    # table's columns (which SQLite makes by copying the table) is batched, as in 0003 and 0006.
    assert 'op.create_table(\n        "probe_rows",' in source, source
    assert (
        'op.create_index(op.f("ix_probe_rows_created_at"), "probe_rows", ["created_at"], unique=False)'
        in source
    )
    assert source.count("batch_alter_table") == 2, source
    assert (
        'with op.batch_alter_table("users", schema=None) as batch_op:\n        batch_op.add_column(' in source
    )
    assert 'op.create_index(op.f("ix_users_last_seen_at"), "users", ["last_seen_at"], unique=False)' in source

    flask_db(project, database_url, "upgrade")
    upgraded = schema(database_url)
    assert upgraded["probe_rows"] == {
        "id",
        "owner_id",
        "name",
        "created_at",
        "expires_at",
        "details",
        "ix_probe_rows_owner_id",
        "ix_probe_rows_created_at",
        "uq_probe_rows_name",
    }
    assert {"last_seen_at", "ix_users_last_seen_at"} <= upgraded["users"]
    output = flask_db(project, database_url, "migrate", "-m", "nothing changed")
    assert "No changes in schema detected" in output
    assert revisions(project) == before | {written}

    flask_db(project, database_url, "downgrade")
    assert schema(database_url) == tables_before

    flask_db(project, database_url, "upgrade")
    assert schema(database_url) == upgraded
