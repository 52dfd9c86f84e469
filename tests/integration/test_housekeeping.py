"""Housekeeping commands: audit events past their retention, processed outbox messages."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from app.audit.models import AuditEvent
from app.composition import container
from app.extensions import db
from app.outbox.models import OutboxMessage


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
