"""The mail budget per recipient holds under real concurrency: reset requests for one account
arrive at once over HTTP, and (on Redis) their mails are sent by parallel workers; the real SMTP
server still receives no more than MAIL_PER_RECIPIENT_PER_HOUR mails for the mailbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.composition import container
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.api.auth.helpers import settle
from tests.support.accounts import create_account
from tests.support.concurrency import Server, run_together, serve
from tests.support.smtp_server import SmtpServer

BUDGET = 5
CONTENDERS = 16
pytestmark = pytest.mark.postgres_only


@pytest.fixture
def app_overrides(limiter_storage: dict[str, str], smtp: SmtpServer) -> dict[str, Any]:
    return {
        **limiter_storage,
        "SMTP_URL": smtp.url,
        "MAIL_PER_RECIPIENT_PER_HOUR": str(BUDGET),
        "RATELIMIT_PASSWORD_RESET": "1000 per hour",
        "RATELIMIT_PASSWORD_RESET_EMAIL": "1000 per hour",
        "RATELIMIT_DEFAULT": "1000 per minute",
        "DB_POOL_SIZE": str(CONTENDERS + 4),
    }


@pytest.fixture
def server(committed_app: Flask) -> Iterator[Server]:
    with serve(committed_app) as running:
        yield running


def pending(app: Flask) -> list[Any]:
    with app.app_context():
        ids = list(db.session.scalars(sa.select(OutboxMessage.id).where(OutboxMessage.status == "pending")))
        db.session.remove()
    return ids


def drain_in_parallel(app: Flask) -> None:
    """Each round runs every pending message on its own thread at once, as parallel workers would."""
    with app.app_context():
        if container().settings.redis_url is None:
            settle(app)
            return

    def work(message_id: Any) -> str:
        with app.app_context():
            return container().outbox_processor().process(message_id).status

    for _ in range(5):
        ids = pending(app)
        if not ids:
            return
        assert set(run_together(len(ids), lambda n, batch=ids: work(batch[n]))) == {"done"}
    raise AssertionError("outbox messages still pending")


def test_parallel_mail_to_one_mailbox_delivers_no_more_than_the_budget(
    server: Server, smtp: SmtpServer
) -> None:
    account = create_account(server.app)  # its verification mail counts too

    replies = run_together(
        CONTENDERS,
        lambda _n: server.request("POST", "/api/v1/auth/password-reset", body={"email": account.email}),
    )
    drain_in_parallel(server.app)

    assert [reply.status for reply in replies] == [202] * CONTENDERS
    delivered = [recipients for recipients in smtp.recipients if account.email in recipients]
    assert len(delivered) == BUDGET
