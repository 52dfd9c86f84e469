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


def test_flask_sqlalchemy_sees_every_model_table() -> None:
    assert set(db.metadatas[None].tables) == set(Base.metadata.tables)
    assert "users" in Base.metadata.tables
