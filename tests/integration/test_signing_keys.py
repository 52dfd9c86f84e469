"""`flask keys ...` on real databases: the key rows, their states, and readiness without a key."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from app.composition import container
from app.extensions import db
from app.keys.models import SigningKey
from tests.support.totp import MovableClock, install_clock


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def clock(app: Flask) -> MovableClock:
    """A clock the test moves, starting after the template database's key was made."""
    moved = install_clock(app)
    moved.advance(timedelta(minutes=1))
    return moved


def rows(app: Flask) -> list[SigningKey]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(SigningKey).order_by(SigningKey.created_at)))
        db.session.expunge_all()
        return found


def states(runner: FlaskCliRunner) -> dict[str, str]:
    result = runner.invoke(args=["keys", "list"])
    assert result.exit_code == 0, result.output
    return {line.split()[0]: line.split()[2] for line in result.output.splitlines()}


def test_a_migrated_database_has_one_active_key(app: Flask, runner: FlaskCliRunner) -> None:
    [key] = rows(app)

    assert states(runner) == {key.kid: "active"}
    assert key.algorithm == "EdDSA"


def test_the_private_key_is_stored_encrypted_and_the_public_jwk_has_no_private_member(app: Flask) -> None:
    [key] = rows(app)

    assert "PRIVATE KEY" not in key.private_key_ciphertext
    assert '"d"' not in key.public_jwk
    with app.app_context():
        assert container().secret_box.decrypt(key.private_key_ciphertext).startswith("-----BEGIN PRIVATE KEY")


def test_rotate_adds_a_next_key_and_retires_the_active_one_after_its_last_token(
    app: Flask, runner: FlaskCliRunner, clock: MovableClock
) -> None:
    [old] = rows(app)

    result = runner.invoke(args=["keys", "rotate"])

    assert result.exit_code == 0, result.output
    old_row, new_row = rows(app)
    assert old_row.kid == old.kid
    assert new_row.activates_at == clock.now + timedelta(seconds=900)
    assert old_row.retires_at == new_row.activates_at + timedelta(seconds=900)  # the access-token TTL
    assert states(runner) == {old.kid: "active", new_row.kid: "next"}
    clock.advance(timedelta(seconds=900))
    assert states(runner) == {old.kid: "retiring", new_row.kid: "active"}
    clock.advance(timedelta(seconds=900))
    assert states(runner) == {old.kid: "retired", new_row.kid: "active"}


def test_rotate_if_none_adds_nothing_when_a_key_signs(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["keys", "rotate", "--if-none"])

    assert result.exit_code == 0, result.output
    assert len(rows(app)) == 1


def test_revoking_the_only_signing_key_is_refused(app: Flask, runner: FlaskCliRunner) -> None:
    [key] = rows(app)
    runner.invoke(args=["keys", "rotate"])  # a next key does not sign yet

    result = runner.invoke(args=["keys", "revoke", key.kid])

    assert result.exit_code != 0
    assert "conflict" in result.output
    assert rows(app)[0].revoked_at is None


def test_revoke_withdraws_a_key_once_another_signs(app: Flask, runner: FlaskCliRunner) -> None:
    [old] = rows(app)
    assert runner.invoke(args=["keys", "rotate", "--now"]).exit_code == 0

    result = runner.invoke(args=["keys", "revoke", old.kid])

    assert result.exit_code == 0, result.output
    assert states(runner)[old.kid] == "revoked"
    assert runner.invoke(args=["keys", "revoke", "unknown"]).exit_code != 0


@pytest.mark.parametrize("kid", ["-oXb9", "--kid-like-an-option"])
def test_a_kid_that_begins_with_a_dash_is_a_kid_not_an_option(runner: FlaskCliRunner, kid: str) -> None:
    """Thumbprints are base64url: about one kid in 64 begins with "-"."""
    result = runner.invoke(args=["keys", "revoke", kid])

    assert result.exit_code != 0
    assert "No signing key has this kid." in result.output, result.output


def test_without_a_key_readiness_fails_and_no_key_is_made(app: Flask) -> None:
    with app.app_context():
        db.session.execute(sa.delete(SigningKey))
        db.session.commit()
        container().keys.invalidate()

    response = app.test_client().get("/ready")

    assert response.status_code == 503
    assert response.get_json()["checks"]["signing_key"] == "missing"
    assert rows(app) == []
