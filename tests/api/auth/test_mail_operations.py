"""Mail as operators see it: readiness does not hang on the mail server, the outbox is counted,
and a reset is in the audit trail."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY, generate_latest

from app.composition import container
from tests.api.auth.helpers import settle
from tests.api.auth.test_password_reset import CONFIRM, NEW_PASSWORD, RESET
from tests.support.accounts import create_account, login
from tests.support.redis_server import free_port
from tests.support.smtp_server import SmtpServer, token_in


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    # A mail server that is down: nothing listens on this port.
    return {
        "SMTP_URL": f"smtp://127.0.0.1:{free_port()}",
        "SMTP_TIMEOUT_SECONDS": "1",
        "MAIL_RETRY_BASE_SECONDS": "30",
    }


def test_ready_does_not_depend_on_the_mail_server(committed_app: Flask) -> None:
    web = committed_app.test_client()
    account = create_account(committed_app)
    assert web.post(RESET, json={"email": account.email}).status_code == 202
    response = web.get("/ready")
    assert response.status_code == 200, response.get_json()
    assert "mail" not in response.get_data(as_text=True).lower()


def metric(web: FlaskClient, name: str, labels: str = "") -> float:
    """A sample as the metrics listener serves it (in one process, the default registry holds them all)."""
    for line in generate_latest(REGISTRY).decode().splitlines():
        if line.startswith(f"{name}{labels} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_failed_deliveries_are_counted_and_the_queue_depth_is_exposed(committed_app: Flask) -> None:
    web = committed_app.test_client()
    queued = metric(web, "keel_outbox_messages_total", '{event="queued"}')
    retried = metric(web, "keel_outbox_messages_total", '{event="retry"}')
    account = create_account(committed_app)  # its verification mail fails too
    assert web.post(RESET, json={"email": account.email}).status_code == 202

    deadline = time.monotonic() + 15
    while (
        metric(web, "keel_outbox_messages_total", '{event="retry"}') < retried + 2
        and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert metric(web, "keel_outbox_messages_total", '{event="queued"}') >= queued + 3
    assert metric(web, "keel_outbox_messages_total", '{event="retry"}') >= retried + 2
    with committed_app.app_context():
        container().sweeper().sweep_once()
    assert metric(web, "keel_outbox_pending_messages") == 2


class TestAudited:
    @pytest.fixture
    def app_overrides(self, smtp: SmtpServer) -> dict[str, Any]:
        return {"SMTP_URL": smtp.url}

    def test_a_reset_is_in_the_audit_trail(self, committed_app: Flask, smtp: SmtpServer) -> None:
        web: FlaskClient = committed_app.test_client()
        account = create_account(committed_app)
        admin = create_account(committed_app, role="admin")
        assert web.post(RESET, json={"email": account.email}).status_code == 202
        token = token_in(smtp.wait_for(1, subject="Reset your password")[0])
        assert web.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}).status_code == 204
        settle(committed_app)
        rows = web.get(
            "/api/v1/audit-events",
            query_string={"user_id": str(account.id), "event": "password_reset"},
            headers=login(web, admin).headers,
        ).get_json()["items"]
        assert [(row["actor_id"], row["subject_id"]) for row in rows] == [(None, str(account.id))]
