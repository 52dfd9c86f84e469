"""Fixtures of the auth API tests: extra accounts and clients that hold no cookies."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.auth.helpers import user_url
from tests.support.accounts import Account, Tokens, create_account


@pytest.fixture
def fresh_client(app: Flask) -> FlaskClient:
    """A second client with its own, empty cookie jar."""
    return app.test_client()


@pytest.fixture
def disabled_user(client: FlaskClient, admin_tokens: Tokens, app: Flask) -> Account:
    """An ordinary account that an admin has disabled over the API."""
    account = create_account(app)
    response = client.patch(user_url(account.id), json={"is_active": False}, headers=admin_tokens.headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["is_active"] is False
    return account
