"""Migrations are the schema: upgrade gives exactly the models, downgrade returns to nothing."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.persistence.base import Base
from tests.conftest import PG_URL, Backend
from tests.support import databases


@pytest.fixture
def empty_database_url(backend: Backend, tmp_path: Path) -> Iterator[str]:
    if not backend.is_postgres:
        yield databases.sqlite_url(tmp_path / "empty.db")
        return
    assert PG_URL is not None
    url = databases.create_pg_database(PG_URL, prefix="keel_mig")
    yield url
    databases.drop_pg_database(url)


def test_upgrade_from_empty_matches_models_and_downgrade_reverts(empty_database_url: str) -> None:
    app = databases.make_app(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            tables = set(sa.inspect(connection).get_table_names())
        assert set(Base.metadata.tables) <= tables

        downgrade(revision="base")
        with db.engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()


def test_a_database_migrated_from_empty_has_every_name_the_models_declare(empty_database_url: str) -> None:
    """Tables, columns, indexes and constraint names, read back from the database itself: the
    write-error mapping (app.persistence.write_errors) relies on these names existing as declared."""
    app = databases.make_app(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            inspector = sa.inspect(connection)
            for table in Base.metadata.sorted_tables:
                columns = {column["name"] for column in inspector.get_columns(table.name)}
                assert columns == {column.name for column in table.columns}, table.name
                indexes = {index["name"] for index in inspector.get_indexes(table.name)}
                assert {index.name for index in table.indexes} <= indexes, table.name
                unique = {c["name"] for c in inspector.get_unique_constraints(table.name)}
                declared_unique = {
                    c.name for c in table.constraints if isinstance(c, sa.UniqueConstraint) and c.name
                }
                assert declared_unique <= unique | indexes, table.name
                checks = {c["name"] for c in inspector.get_check_constraints(table.name)}
                declared_checks = {
                    c.name for c in table.constraints if isinstance(c, sa.CheckConstraint) and c.name
                }
                assert declared_checks <= checks, table.name
        assert "uq_users_email_normalized" in {
            c["name"] for c in sa.inspect(db.engine).get_unique_constraints("users")
        } | {i["name"] for i in sa.inspect(db.engine).get_indexes("users")}
        db.engine.dispose()
