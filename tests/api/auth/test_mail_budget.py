"""One mail budget per recipient mailbox, across every kind of mail, on a real SMTP server: past
MAIL_PER_RECIPIENT_PER_HOUR the mail is dropped, logged without the address, while every request
answers as it always does. Run with the budget in memory (in-process jobs) and on Redis (the
outbox drained here by the app's own processor, as the worker would)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from prometheus_client import REGISTRY

from app.composition import container
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.api.auth.helpers import FRONTEND, REGISTER, bearer, settle
from tests.support.accounts import DEFAULT_PASSWORD, unique_email
from tests.support.logs import ProductionLog
from tests.support.smtp_server import SmtpServer

RESET = "/api/v1/auth/password-reset"
RESEND = "/api/v1/auth/verify-email/resend"
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def app_overrides(smtp: SmtpServer, limiter_storage: dict[str, str]) -> dict[str, Any]:
    return {
        **limiter_storage,
        "SMTP_URL": smtp.url,
        "FRONTEND_URL": FRONTEND,
        "MAIL_PER_RECIPIENT_PER_HOUR": "5",
        "RATELIMIT_PASSWORD_RESET": "100 per hour",
        "RATELIMIT_PASSWORD_RESET_EMAIL": "100 per hour",
        "RATELIMIT_VERIFY_EMAIL": "100 per hour",
        "LOG_FORMAT": "json",
    }


def run_outbox(app: Flask) -> None:
    """Every pending message run to its end: by the in-process queue, or here when jobs go to Redis."""
    with app.app_context():
        in_process = container().settings.redis_url is None
    if in_process:
        settle(app)
        return
    for _ in range(50):
        with app.app_context():
            pending = db.session.scalars(
                sa.select(OutboxMessage.id).where(OutboxMessage.status == "pending")
            ).all()
            db.session.remove()
            if not pending:
                return
            for message_id in pending:
                container().outbox_processor().process(message_id)
    raise AssertionError("outbox messages still pending")


def dropped(template: str) -> float:
    return REGISTRY.get_sample_value("keel_mail_dropped_total", {"template": template}) or 0.0


def mails_to(smtp: SmtpServer, address: str) -> int:
    return sum(1 for recipients in smtp.recipients if address.lower() in (r.lower() for r in recipients))


def test_the_sixth_mail_in_an_hour_to_one_mailbox_is_dropped_and_every_answer_is_unchanged(
    committed_app: Flask, smtp: SmtpServer, production_log: ProductionLog
) -> None:
    web = committed_app.test_client()
    hank = unique_email("hank")
    created = web.post(REGISTER, json={"email": hank, "password": DEFAULT_PASSWORD, "name": "Hank"})
    assert created.status_code == 201  # mail 1: verification
    token = web.post(LOGIN, json={"email": hank, "password": DEFAULT_PASSWORD}).get_json()["access_token"]
    for _ in range(2):  # mails 2 and 3: verification again
        assert web.post(RESEND, headers=bearer(token)).status_code == 202
    run_outbox(committed_app)
    assert mails_to(smtp, hank) == 3
    before = dropped("password_reset")

    for spelling in (hank, hank.upper(), f"  {hank} ", hank):  # mails 4 and 5, then two over budget
        answer = web.post(RESET, json={"email": spelling})
        assert answer.status_code == 202
        assert answer.get_data() == b""
        run_outbox(committed_app)

    assert mails_to(smtp, hank) == 5
    assert dropped("password_reset") - before == 2
    lines = [r for r in production_log.records() if r["message"].startswith("mail dropped")]
    assert len(lines) == 2
    assert {line.get("mail_template") for line in lines} == {"password_reset"}
    local = hank.split("@")[0]
    assert local not in production_log.text
    assert local.upper() not in production_log.text


def test_one_mailbox_over_budget_leaves_every_other_mailbox_its_mail(
    committed_app: Flask, smtp: SmtpServer, app_overrides: dict[str, Any]
) -> None:
    web = committed_app.test_client()
    hank, ann = unique_email("hank"), unique_email("ann")
    for email in (hank, ann):
        assert (
            web.post(REGISTER, json={"email": email, "password": DEFAULT_PASSWORD, "name": "X"}).status_code
            == 201
        )
    for _ in range(7):
        assert web.post(RESET, json={"email": hank}).status_code == 202
    assert web.post(RESET, json={"email": ann}).status_code == 202
    run_outbox(committed_app)

    assert mails_to(smtp, hank) == 5
    assert mails_to(smtp, ann) == 2
