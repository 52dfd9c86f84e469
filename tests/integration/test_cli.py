"""`flask users ...`: operator commands, run through Flask's CLI runner on real databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from app.extensions import db
from app.users.models import User
from tests.support.accounts import DEFAULT_PASSWORD, Account, Tokens, unique_email

SEED_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def user_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


def stored_role(app: Flask, email: str) -> str | None:
    with app.app_context():
        return db.session.scalar(sa.select(User.role).where(User.email_normalized == email.lower()))


def create_admin_args(email: str, *, name: str = "Ops Admin", password: str = DEFAULT_PASSWORD) -> list[str]:
    return ["users", "create-admin", "--email", email, "--name", name, "--password", password]


def test_cli_create_admin_creates_an_admin(app: Flask, runner: FlaskCliRunner) -> None:
    email = unique_email("ops")

    result = runner.invoke(args=create_admin_args(email))

    assert result.exit_code == 0, result.output
    assert f"<{email}>" in result.output
    assert stored_role(app, email) == "admin"


def test_cli_create_admin_creates_an_admin_who_can_log_in(
    runner: FlaskCliRunner, client: FlaskClient
) -> None:
    email = unique_email("ops")
    runner.invoke(args=create_admin_args(email))

    response = client.post("/api/v1/auth/login", json={"email": email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200, response.get_json()
    headers = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
    me = client.get("/api/v1/users/me", headers=headers).get_json()
    assert (me["email"], me["role"]) == (email, "admin")
    assert client.get("/api/v1/users", headers=headers).status_code == 200


def test_cli_create_admin_prompts_for_what_is_left_out(app: Flask, runner: FlaskCliRunner) -> None:
    email = unique_email("prompted")

    result = runner.invoke(
        args=["users", "create-admin"],
        input=f"{email}\nPrompted Admin\n{DEFAULT_PASSWORD}\n{DEFAULT_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "Email:" in result.output
    assert DEFAULT_PASSWORD not in result.output
    assert stored_role(app, email) == "admin"


def test_cli_create_admin_asks_again_when_the_password_confirmation_differs(
    app: Flask, runner: FlaskCliRunner
) -> None:
    email = unique_email("retyped")

    result = runner.invoke(
        args=["users", "create-admin", "--email", email, "--name", "Retyped"],
        input=f"{DEFAULT_PASSWORD}\nsomething-else-entirely\n{DEFAULT_PASSWORD}\n{DEFAULT_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert stored_role(app, email) == "admin"


@pytest.mark.parametrize("email", ["not-an-email", "", "a@"])
def test_cli_create_admin_fails_without_creating_anything_when_email_is_invalid(
    app: Flask, runner: FlaskCliRunner, email: str
) -> None:
    result = runner.invoke(args=create_admin_args(email))

    assert result.exit_code == 1
    assert "invalid input" in result.output
    assert "'email'" in result.output
    assert "Traceback" not in result.output
    assert user_count(app) == 0


def test_cli_create_admin_fails_without_creating_anything_when_password_is_common(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(args=create_admin_args(unique_email("ops"), password="password123"))

    assert result.exit_code == 1
    assert "too common" in result.output
    assert user_count(app) == 0


def test_cli_create_admin_fails_without_creating_anything_when_password_is_short(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(args=create_admin_args(unique_email("ops"), password="Sh0rt!"))

    assert result.exit_code == 1
    assert "password" in result.output
    assert user_count(app) == 0


def test_cli_create_admin_fails_when_the_email_is_taken(app: Flask, runner: FlaskCliRunner) -> None:
    email = unique_email("ops")
    assert runner.invoke(args=create_admin_args(email)).exit_code == 0

    result = runner.invoke(args=create_admin_args(email.upper(), name="Second"))

    assert result.exit_code == 1
    assert "email_taken" in result.output
    assert user_count(app) == 1


def test_cli_seed_creates_the_requested_number_of_users(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "seed", "--count", "50"])

    assert result.exit_code == 0, result.output
    assert "created 50 users" in result.output
    assert user_count(app) == 50


def test_cli_seed_users_can_be_listed_page_by_page(
    runner: FlaskCliRunner, client: FlaskClient, admin: Account, admin_tokens: Tokens
) -> None:
    runner.invoke(args=["users", "seed", "--count", "50"])
    seen: list[str] = []
    query: dict[str, str | int] = {"limit": 7}

    while True:
        body = client.get("/api/v1/users", query_string=query, headers=admin_tokens.headers).get_json()
        seen.extend(item["id"] for item in body["items"])
        if body["next_cursor"] is None:
            break
        query["cursor"] = body["next_cursor"]

    assert len(seen) == 51
    assert len(set(seen)) == 51
    assert str(admin.id) in seen


def test_cli_seed_users_can_log_in_with_the_seed_password(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    runner.invoke(args=["users", "seed", "--count", "2"])
    with app.app_context():
        email = db.session.scalars(sa.select(User.email)).first()
    assert email is not None

    response = client.post("/api/v1/auth/login", json={"email": email, "password": SEED_PASSWORD})

    assert response.status_code == 200


def test_cli_seed_twice_creates_distinct_users(app: Flask, runner: FlaskCliRunner) -> None:
    runner.invoke(args=["users", "seed", "--count", "3"])

    result = runner.invoke(args=["users", "seed", "--count", "3"])

    assert result.exit_code == 0, result.output
    assert user_count(app) == 6


@pytest.mark.parametrize("count", ["0", "-1", "many"])
def test_cli_seed_rejects_an_invalid_count(app: Flask, runner: FlaskCliRunner, count: str) -> None:
    result = runner.invoke(args=["users", "seed", "--count", count])

    assert result.exit_code == 2
    assert "--count" in result.output
    assert user_count(app) == 0


def test_cli_seed_refuses_a_common_password(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "seed", "--count", "3", "--password", "password123"])

    assert result.exit_code == 1
    assert "too common" in result.output
    assert user_count(app) == 0
