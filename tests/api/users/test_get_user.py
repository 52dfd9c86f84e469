"""GET /api/v1/users/{id}: self or admin, with ETag and If-None-Match."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient

from tests.api.users.helpers import assert_problem, user_url, without_request_details
from tests.support.accounts import Account, Tokens, create_account
from tests.support.resources import etag_of


def test_get_user_returns_self_with_etag(client: FlaskClient, user: Account, user_tokens: Tokens) -> None:
    response = client.get(user_url(user.id), headers=user_tokens.headers)

    assert response.status_code == 200
    assert response.get_json()["id"] == str(user.id)
    assert response.headers["ETag"].startswith('"')
    assert response.headers["ETag"].endswith('"')


def test_get_user_returns_another_user_to_an_admin(
    client: FlaskClient, user: Account, admin_tokens: Tokens
) -> None:
    response = client.get(user_url(user.id), headers=admin_tokens.headers)

    assert response.status_code == 200
    assert response.get_json()["email"] == user.email


def test_get_user_is_304_without_body_when_if_none_match_is_current(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    current = etag_of(client, user_url(user.id), user_tokens)

    response = client.get(user_url(user.id), headers={**user_tokens.headers, "If-None-Match": current})

    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == current


def test_get_user_is_304_when_if_none_match_lists_the_current_etag_weakly(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    current = etag_of(client, user_url(user.id), user_tokens)

    response = client.get(
        user_url(user.id), headers={**user_tokens.headers, "If-None-Match": f'"other", W/{current}'}
    )

    assert response.status_code == 304


def test_get_user_is_200_when_if_none_match_is_stale(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    stale = etag_of(client, user_url(user.id), user_tokens)
    renamed = client.patch(user_url(user.id), json={"name": "Renamed"}, headers=user_tokens.headers)
    assert renamed.status_code == 200

    response = client.get(user_url(user.id), headers={**user_tokens.headers, "If-None-Match": stale})

    assert response.status_code == 200
    assert response.get_json()["name"] == "Renamed"
    assert response.headers["ETag"] != stale


def test_get_user_is_403_for_non_admin_on_another_existing_user(
    app: Flask, client: FlaskClient, user_tokens: Tokens
) -> None:
    other = create_account(app)

    response = client.get(user_url(other.id), headers=user_tokens.headers)

    body = assert_problem(response, 403, "forbidden")
    assert other.email not in response.get_data(as_text=True)
    assert "email" not in body


def test_get_user_is_403_for_non_admin_on_a_missing_user_with_the_same_body(
    app: Flask, client: FlaskClient, user_tokens: Tokens
) -> None:
    other = create_account(app)
    existing = client.get(user_url(other.id), headers=user_tokens.headers)

    missing = client.get(user_url(uuid.uuid4()), headers=user_tokens.headers)

    assert_problem(missing, 403, "forbidden")
    assert without_request_details(missing.get_json()) == without_request_details(existing.get_json())


def test_get_user_is_404_for_admin_on_a_missing_user(client: FlaskClient, admin_tokens: Tokens) -> None:
    response = client.get(user_url(uuid.uuid4()), headers=admin_tokens.headers)

    assert_problem(response, 404, "not_found")


def test_get_user_is_404_when_id_is_not_a_uuid(client: FlaskClient, admin_tokens: Tokens) -> None:
    response = client.get(user_url("not-a-uuid"), headers=admin_tokens.headers)

    assert_problem(response, 404, "not_found")


def test_get_user_is_401_without_token(client: FlaskClient, user: Account) -> None:
    response = client.get(user_url(user.id))

    assert_problem(response, 401, "unauthorized")
