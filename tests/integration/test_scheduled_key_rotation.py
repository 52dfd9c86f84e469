"""The worker's scheduled rotation on real databases: the next key appears once the newest is
JWT_KEY_ROTATION_DAYS old, exactly as `keys rotate` makes it; on PostgreSQL, of many workers
checking at once, one rotates (key rows counted)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.composition import container
from app.extensions import db
from app.keys.models import SigningKey
from tests.conftest import Backend
from tests.support.concurrency import run_together
from tests.support.totp import MovableClock, install_clock

CONTENDERS = 8
PERIOD = timedelta(days=90)


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"DB_POOL_SIZE": str(CONTENDERS + 4)}


def key_rows(app: Flask) -> list[SigningKey]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(SigningKey).order_by(SigningKey.created_at)))
        db.session.remove()
    return found


def check(app: Flask) -> str | None:
    with app.app_context():
        return container().key_rotation().check_once()


def test_the_next_key_is_added_once_the_newest_is_the_period_old(committed_app: Flask) -> None:
    clock = install_clock(committed_app)
    [old] = key_rows(committed_app)

    clock.now = old.created_at + PERIOD - timedelta(minutes=1)
    assert check(committed_app) is None
    assert len(key_rows(committed_app)) == 1

    clock.now = old.created_at + PERIOD
    kid = check(committed_app)

    old_row, new_row = key_rows(committed_app)
    assert new_row.kid == kid
    assert new_row.activates_at == clock.now + timedelta(seconds=900)  # as `keys rotate`: next, then signs
    assert old_row.retires_at == new_row.activates_at + timedelta(seconds=900)
    assert check(committed_app) is None  # the new key restarts the count


@pytest.mark.postgres_only
@pytest.mark.parametrize(("age", "added"), [(PERIOD, 1), (PERIOD - timedelta(hours=1), 0)])
def test_of_many_workers_checking_at_once_one_rotates(
    backend: Backend, committed_app: Flask, age: timedelta, added: int
) -> None:
    assert backend.is_postgres
    clock: MovableClock = install_clock(committed_app)
    [old] = key_rows(committed_app)
    clock.now = old.created_at + age

    kids = run_together(CONTENDERS, lambda _: check(committed_app) or "")

    assert len(key_rows(committed_app)) == 1 + added
    assert len([kid for kid in kids if kid]) == added
