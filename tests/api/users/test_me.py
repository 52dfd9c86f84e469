"""GET /api/v1/users/me: the caller's own record."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient

from tests.api.users.helpers import REPRESENTATION_KEYS, USERS, assert_problem, user_url
from tests.support.accounts import Account, Tokens

ME = f"{USERS}/me"


def test_me_returns_exactly_the_user_representation(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    response = client.get(ME, headers=user_tokens.headers)

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == REPRESENTATION_KEYS
    assert body["id"] == str(user.id)
    assert body["email"] == user.email
    assert body["role"] == "user"
    assert body["is_active"] is True


@pytest.mark.parametrize("field", ["created_at", "updated_at"])
def test_me_timestamps_carry_an_explicit_utc_offset(
    client: FlaskClient, user_tokens: Tokens, field: str
) -> None:
    value = client.get(ME, headers=user_tokens.headers).get_json()[field]

    assert value.endswith(("Z", "+00:00")), value
    assert datetime.fromisoformat(value).utcoffset() == timedelta(0)


def test_me_carries_the_same_etag_as_the_user_resource(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    me = client.get(ME, headers=user_tokens.headers)
    by_id = client.get(user_url(user.id), headers=user_tokens.headers)

    assert me.headers["ETag"].startswith('"')
    assert me.headers["ETag"] == by_id.headers["ETag"]


def test_me_is_401_without_token(client: FlaskClient) -> None:
    response = client.get(ME)

    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
