"""`flask auth purge-sessions` forgets ended sessions and keeps live ones."""

from datetime import timedelta

import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from app.auth.models import AuthSession
from app.domain.clock import utcnow
from app.extensions import db
from tests.support.accounts import Account, login


def _session_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession)) or 0)


def test_purge_sessions_deletes_only_sessions_ended_long_ago(
    app: Flask, client: FlaskClient, user: Account
) -> None:
    with time_machine.travel(utcnow() - timedelta(days=40), tick=False):
        login(client, user)  # expired 10 days ago (30-day sessions)
    with time_machine.travel(utcnow() - timedelta(days=9), tick=False):
        revoked = login(client, user)
        assert client.post("/api/v1/auth/logout", headers=revoked.headers).status_code == 204
    with time_machine.travel(utcnow() - timedelta(days=2), tick=False):
        recent = login(client, user)
        assert client.post("/api/v1/auth/logout", headers=recent.headers).status_code == 204
    live = login(client, user)
    assert _session_count(app) == 4

    result = app.test_cli_runner().invoke(args=["auth", "purge-sessions", "--older-than-days", "7"])

    assert result.exit_code == 0, result.output
    assert "purged 2 ended sessions" in result.output
    assert _session_count(app) == 2
    assert client.get("/api/v1/users/me", headers=live.headers).status_code == 200
