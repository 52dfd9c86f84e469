"""Housekeeping commands: audit events past their retention, processed outbox messages, expired
Idempotency-Keys."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from app.audit.models import AuditEvent
from app.composition import container
from app.domain.idempotency import KeyRecord
from app.extensions import db
from app.idempotency.models import IdempotencyKey
from app.outbox.models import OutboxMessage
from tests.support import databases


def test_purge_deletes_only_events_older_than_the_retention(app: Flask) -> None:
    with app.app_context():
        now = container().clock()
        for age_days in (400, 366, 364, 1):
            db.session.add(AuditEvent(event="login_succeeded", created_at=now - timedelta(days=age_days)))
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["audit", "purge"])
    assert result.exit_code == 0, result.output
    assert "purged 2 audit events older than 365 days" in result.output

    result = app.test_cli_runner().invoke(args=["audit", "purge", "--older-than-days", "30"])
    assert "purged 1 audit events older than 30 days" in result.output
    with app.app_context():
        ages = [now - row for row in db.session.scalars(sa.select(AuditEvent.created_at))]
    assert ages == [timedelta(days=1)]


def test_outbox_purge_deletes_old_processed_messages_and_keeps_dead_ones(app: Flask) -> None:
    with app.app_context():
        now = container().clock()
        for status, age_days in (("done", 30), ("done", 1), ("dead", 30), ("pending", 30)):
            when = now - timedelta(days=age_days)
            db.session.add(
                OutboxMessage(
                    kind="mail.send",
                    payload={},
                    status=status,
                    next_attempt_at=when,
                    created_at=when,
                    processed_at=None if status == "pending" else when,
                )
            )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["outbox", "purge", "--older-than-days", "7"])
    assert result.exit_code == 0, result.output
    assert "purged 1 processed message(s)" in result.output
    with app.app_context():
        left = sorted(db.session.scalars(sa.select(OutboxMessage.status)))
    assert left == ["dead", "done", "pending"]


def test_idempotency_purge_deletes_only_expired_keys(committed_app: Flask) -> None:
    with committed_app.app_context():
        built = container()
        store = built.idempotency_store
        now = built.clock()
        for key_id, expires_at in (
            ("expired", now - timedelta(seconds=1)),
            ("live", now + timedelta(hours=1)),
        ):
            record = KeyRecord(
                fingerprint="f", owner="o", response=None, locked_until=now, expires_at=expires_at
            )
            assert store.claim(key_id, record, now=now - timedelta(hours=2)) is None

    result = committed_app.test_cli_runner().invoke(args=["idempotency", "purge"])

    assert result.exit_code == 0, result.output
    assert "purged 1 expired idempotency keys" in result.output
    with committed_app.app_context():
        remaining = db.session.scalars(sa.select(IdempotencyKey.key_id)).all()
    assert remaining == ["live"]


def test_idempotency_purge_leaves_redis_to_expire_its_own(committed_app: Flask) -> None:
    with_redis = databases.make_app(
        committed_app.config["SQLALCHEMY_DATABASE_URI"], {"REDIS_URL": "redis://127.0.0.1:6379/15"}
    )
    result = with_redis.test_cli_runner().invoke(args=["idempotency", "purge"])
    databases.dispose(with_redis)
    assert result.exit_code == 0, result.output
    assert "kept in Redis" in result.output
