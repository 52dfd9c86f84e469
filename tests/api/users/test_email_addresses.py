"""Which addresses an account may have: dot-atom only, the domain IDNA-normalised, on every way in
(registration, an admin's create, an email change). A quoted name or an address literal reaches
the same mailbox as a plain address, so each would be one more account on someone else's mail."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.users.models import User
from tests.api.users.helpers import USERS, assert_problem, user_url
from tests.support.accounts import Account, Tokens

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
PASSWORD = "Amber-Falcon-Meadow-77"
SAME_MAILBOX_AS_HANK = ['"hank"@example.com', '"h\\ank"@example.com', "user@[10.0.0.5]", "user@[IPv6:::1]"]


def count_users(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0)


@pytest.mark.parametrize("email", SAME_MAILBOX_AS_HANK)
def test_register_refuses_quoted_names_and_address_literals(
    app: Flask, client: FlaskClient, email: str
) -> None:
    before = count_users(app)

    response = client.post(REGISTER, json={"email": email, "password": PASSWORD, "name": "Hank"})

    body = assert_problem(response, 422, "validation_error")
    assert "email" in body["errors"]["json"]
    assert email not in response.get_data(as_text=True)
    assert count_users(app) == before


@pytest.mark.parametrize("email", SAME_MAILBOX_AS_HANK)
def test_create_user_refuses_quoted_names_and_address_literals(
    app: Flask, client: FlaskClient, admin_tokens: Tokens, email: str
) -> None:
    before = count_users(app)
    body = {"email": email, "password": PASSWORD, "name": "Hank", "role": "user"}

    response = client.post(USERS, json=body, headers=admin_tokens.headers)

    assert_problem(response, 422, "validation_error")
    assert count_users(app) == before


@pytest.mark.parametrize("email", SAME_MAILBOX_AS_HANK)
def test_an_email_change_refuses_quoted_names_and_address_literals(
    client: FlaskClient, user: Account, user_tokens: Tokens, email: str
) -> None:
    response = client.patch(
        user_url(user.id),
        json={"email": email, "current_password": user.password},
        headers=user_tokens.headers,
    )

    assert_problem(response, 422, "validation_error")
    assert client.get(user_url(user.id), headers=user_tokens.headers).get_json()["email"] == user.email


def test_a_unicode_domain_and_its_ascii_form_are_one_address(client: FlaskClient) -> None:
    local = f"ann-{uuid.uuid4().hex[:8]}"
    created = client.post(
        REGISTER, json={"email": f"{local}@\u00c4BC.example", "password": PASSWORD, "name": "Ann"}
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["email"] == f"{local}@xn--bc-uia.example"

    again = client.post(
        REGISTER, json={"email": f"{local}@xn--bc-uia.example", "password": PASSWORD, "name": "Ann"}
    )
    assert_problem(again, 409, "email_taken")
    for spelling in (f"{local}@xn--bc-uia.example", f"{local.upper()}@\u00e4bc.EXAMPLE"):
        assert client.post(LOGIN, json={"email": spelling, "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize("email", ["ann@exa_mple.com", "ann@xn--a.example", "ann@-example.com"])
def test_register_refuses_a_domain_that_does_not_normalise(client: FlaskClient, email: str) -> None:
    response = client.post(REGISTER, json={"email": email, "password": PASSWORD, "name": "Ann"})

    assert_problem(response, 422, "validation_error")
