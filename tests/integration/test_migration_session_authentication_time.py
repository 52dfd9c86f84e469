"""Migration 0010: sessions opened before it proved the password at their login and nothing else,
so they get `authenticated_at` = `created_at` and `amr` = "pwd"; a refresh of such a session then
carries its login time on as `auth_time`. Downgrading drops both columns again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.auth.models import AuthSession
from app.extensions import db
from tests.conftest import PG_URL, Backend
from tests.support import databases

OPENED = datetime(2026, 11, 30, 9, 15, 42, tzinfo=UTC)


@pytest.fixture
def empty_database_url(backend: Backend, tmp_path: Path) -> Iterator[str]:
    if not backend.is_postgres:
        yield databases.sqlite_url(tmp_path / "empty.db")
        return
    assert PG_URL is not None
    url = databases.create_pg_database(PG_URL, prefix="keel_mig")
    yield url
    databases.drop_pg_database(url)


def insert_session(connection: sa.Connection, created_at: datetime) -> uuid.UUID:
    user_id, session_id = uuid.uuid4(), uuid.uuid4()
    email = f"legacy-{user_id.hex[:8]}@example.com"
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
            email_normalized=email,
            name="Legacy",
            password_hash="x",
            created_at=created_at,
            updated_at=created_at,
        )
    )
    sessions = sa.table(
        "auth_sessions",
        sa.column("id", sa.Uuid()),
        sa.column("user_id", sa.Uuid()),
        sa.column("refresh_token_hash"),
        *(
            sa.column(name, sa.DateTime(timezone=True))
            for name in ("created_at", "rotated_at", "expires_at", "ends_at")
        ),
    )
    connection.execute(
        sa.insert(sessions).values(
            id=session_id,
            user_id=user_id,
            refresh_token_hash="0" * 64,
            created_at=created_at,
            rotated_at=created_at + timedelta(days=1),
            expires_at=created_at + timedelta(days=30),
            ends_at=created_at + timedelta(days=90),
        )
    )
    return session_id


def test_existing_sessions_proved_the_password_at_their_login(empty_database_url: str) -> None:
    app = databases.make_app(empty_database_url)
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as connection:
            first = insert_session(connection, OPENED)
            second = insert_session(connection, OPENED + timedelta(days=2, seconds=7))
        upgrade()

        for session_id, opened in ((first, OPENED), (second, OPENED + timedelta(days=2, seconds=7))):
            session = db.session.get(AuthSession, session_id)
            assert session is not None
            assert (session.authenticated_at, session.amr) == (opened, "pwd")
        db.session.remove()

        downgrade(revision="0009")
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns("auth_sessions")}
        assert not columns & {"authenticated_at", "amr"}
        db.engine.dispose()
