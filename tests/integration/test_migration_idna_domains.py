"""Migration 0009: accounts stored with a non-ASCII domain get its IDNA ASCII form, so they log in
with their address as the API now normalises it; a form another account has already is left."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app.extensions import db
from app.users.repository import SqlUserRepository
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


def insert(connection: sa.Connection, email: str) -> uuid.UUID:
    user_id = uuid.uuid4()
    now = datetime.now(UTC)
    users = sa.table(
        "users",
        sa.column("id", sa.Uuid()),
        *(sa.column(name) for name in ("email", "email_normalized", "name", "password_hash")),
        sa.column("created_at"),
        sa.column("updated_at"),
    )
    connection.execute(
        sa.insert(users).values(
            id=user_id,
            email=email,
            email_normalized=email.lower(),
            name="Legacy",
            password_hash="x",
            created_at=now,
            updated_at=now,
        )
    )
    return user_id


def test_non_ascii_domains_become_their_idna_form_unless_another_account_has_it(
    empty_database_url: str,
) -> None:
    app = databases.make_app(empty_database_url)
    with app.app_context():
        upgrade(revision="0008")
        with db.engine.begin() as connection:
            legacy = insert(connection, "Ann@\u00c4bc.example")
            insert(connection, "bob@xn--bc-uia.example")
            clash = insert(connection, "bob@\u00e4bc.example")
            plain = insert(connection, "Cy@Example.com")
        upgrade()

        users = SqlUserRepository(db.session())
        found = users.get_by_email("ann@xn--bc-uia.example")
        assert found is not None
        assert (found.id, found.email) == (legacy, "Ann@xn--bc-uia.example")
        kept = users.get(clash)
        assert kept is not None
        assert kept.email == "bob@\u00e4bc.example"
        untouched = users.get(plain)
        assert untouched is not None
        assert (untouched.email, untouched.email_normalized) == ("Cy@Example.com", "cy@example.com")
        db.session.remove()
        db.engine.dispose()
