"""GET /api/v1/users: admins only, keyset pages newest first, filters role and is_active."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.users.helpers import USERS, assert_problem, insert_users
from tests.support.accounts import Account, Tokens, create_account
from tests.support.resources import LINK_NEXT, walk


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def ids_of(pages: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for page in pages for item in page["items"]]


def test_list_users_returns_items_and_next_cursor(
    client: FlaskClient, user: Account, admin: Account, admin_tokens: Tokens
) -> None:
    response = client.get(USERS, headers=admin_tokens.headers)

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"items", "next_cursor"}
    assert {item["id"] for item in body["items"]} == {str(user.id), str(admin.id)}
    assert body["next_cursor"] is None
    assert "Link" not in response.headers


def test_list_users_is_403_for_non_admin(client: FlaskClient, user_tokens: Tokens) -> None:
    response = client.get(USERS, headers=user_tokens.headers)

    assert_problem(response, 403, "forbidden")


def test_list_users_is_401_without_token(client: FlaskClient) -> None:
    assert_problem(client.get(USERS), 401, "unauthorized")


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", ""])
def test_list_users_is_422_when_limit_is_invalid(
    client: FlaskClient, admin_tokens: Tokens, limit: str
) -> None:
    response = client.get(f"{USERS}?limit={limit}", headers=admin_tokens.headers)

    body = assert_problem(response, 422, "validation_error")
    assert "limit" in body["errors"]["query"]


@pytest.mark.parametrize("limit", [1, 100])
def test_list_users_accepts_limit_at_the_bounds(
    client: FlaskClient, admin_tokens: Tokens, limit: int
) -> None:
    response = client.get(USERS, query_string={"limit": limit}, headers=admin_tokens.headers)

    assert response.status_code == 200
    assert len(response.get_json()["items"]) == 1


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("zzz", id="not-base64-json"),
        pytest.param(b64(b'{"junk": [1, 2, 3]}'), id="junk-json"),
        pytest.param(b64(b'["not-a-date", "x"]'), id="bad-date"),
        pytest.param(b64(f'["2024-01-01T00:00:00", "{uuid.uuid4()}"]'.encode()), id="naive-date"),
        pytest.param(b64(b'["2024-01-01T00:00:00+00:00", "not-a-uuid"]'), id="bad-id"),
        pytest.param(b64(b'["2024-01-01T00:00:00+00:00"]'), id="too-short"),
        pytest.param(b64(f'["0001-01-01T00:00:00+01:00", "{uuid.uuid4()}"]'.encode()), id="before-year-1"),
        pytest.param(b64(f'["9999-12-31T23:59:59-01:00", "{uuid.uuid4()}"]'.encode()), id="after-year-9999"),
        pytest.param("é", id="non-ascii"),
    ],
)
def test_list_users_is_422_when_cursor_does_not_decode(
    client: FlaskClient, admin_tokens: Tokens, cursor: str
) -> None:
    response = client.get(USERS, query_string={"cursor": cursor}, headers=admin_tokens.headers)

    body = assert_problem(response, 422, "validation_error")
    assert "cursor" in body["errors"]["query"]


def test_list_users_is_422_when_role_filter_is_unknown(client: FlaskClient, admin_tokens: Tokens) -> None:
    response = client.get(USERS, query_string={"role": "bogus"}, headers=admin_tokens.headers)

    body = assert_problem(response, 422, "validation_error")
    assert "role" in body["errors"]["query"]


def test_list_users_is_422_when_is_active_filter_is_not_a_boolean(
    client: FlaskClient, admin_tokens: Tokens
) -> None:
    response = client.get(USERS, query_string={"is_active": "maybe"}, headers=admin_tokens.headers)

    body = assert_problem(response, 422, "validation_error")
    assert "is_active" in body["errors"]["query"]


def test_list_users_ignores_unknown_query_parameters(
    app: Flask, client: FlaskClient, admin_tokens: Tokens
) -> None:
    # Query strings are lenient on purpose (webargs excludes unknown query keys); bodies are strict.
    create_account(app)
    plain = client.get(USERS, query_string={"limit": 1}, headers=admin_tokens.headers)

    response = client.get(USERS, query_string={"limit": 1, "bogus": "x"}, headers=admin_tokens.headers)

    assert response.status_code == 200
    assert response.get_json() == plain.get_json()


@pytest.mark.parametrize("limit", [2, 3, 7])
def test_list_users_walks_every_user_once_newest_first(
    app: Flask, client: FlaskClient, admin: Account, admin_tokens: Tokens, limit: int
) -> None:
    created = [admin.id] + [create_account(app).id for _ in range(6)]

    pages = walk(client, USERS, admin_tokens, limit=limit)

    assert ids_of(pages) == [str(user_id) for user_id in reversed(created)]
    assert all(len(page["items"]) <= limit for page in pages)
    assert len(pages) == -(-len(created) // limit)


def test_list_users_link_header_carries_the_next_cursor_and_the_query(
    app: Flask, client: FlaskClient, admin_tokens: Tokens
) -> None:
    create_account(app)
    create_account(app)

    response = client.get(USERS, query_string={"limit": 1, "role": "user"}, headers=admin_tokens.headers)

    match = LINK_NEXT.match(response.headers["Link"])
    assert match, response.headers["Link"]
    query = parse_qs(urlsplit(match["url"]).query)
    assert urlsplit(match["url"]).path == USERS
    assert query == {"limit": ["1"], "role": ["user"], "cursor": [response.get_json()["next_cursor"]]}


def test_list_users_next_cursor_gives_the_following_page(
    app: Flask, client: FlaskClient, admin: Account, admin_tokens: Tokens
) -> None:
    newest = create_account(app)
    first = client.get(USERS, query_string={"limit": 1}, headers=admin_tokens.headers).get_json()

    second = client.get(
        USERS, query_string={"limit": 1, "cursor": first["next_cursor"]}, headers=admin_tokens.headers
    ).get_json()

    assert [item["id"] for item in first["items"]] == [str(newest.id)]
    assert [item["id"] for item in second["items"]] == [str(admin.id)]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("role", ["user", "admin"])
def test_list_users_filters_by_role(
    app: Flask, client: FlaskClient, admin: Account, admin_tokens: Tokens, role: str
) -> None:
    users = {str(create_account(app, role="user").id) for _ in range(2)}
    admins = {str(admin.id), str(create_account(app, role="admin").id)}

    pages = walk(client, USERS, admin_tokens, limit=1, role=role)

    assert set(ids_of(pages)) == (users if role == "user" else admins)
    assert all(item["role"] == role for page in pages for item in page["items"])


@pytest.mark.parametrize("is_active", [True, False])
def test_list_users_filters_by_is_active(
    app: Flask, client: FlaskClient, admin: Account, admin_tokens: Tokens, is_active: bool
) -> None:
    active = {str(admin.id)} | {str(user_id) for user_id in insert_users(app, 2)}
    inactive = {str(user_id) for user_id in insert_users(app, 2, is_active=False)}

    pages = walk(client, USERS, admin_tokens, limit=1, is_active=str(is_active).lower())

    assert set(ids_of(pages)) == (active if is_active else inactive)
    assert all(item["is_active"] is is_active for page in pages for item in page["items"])


def test_list_users_returns_users_sharing_a_timestamp_once_each(
    app: Flask, client: FlaskClient, admin: Account, admin_tokens: Tokens
) -> None:
    tied = insert_users(app, 5, created_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC))

    pages = walk(client, USERS, admin_tokens, limit=2)

    ids = ids_of(pages)
    assert sorted(ids) == sorted([str(admin.id), *map(str, tied)])
    assert len(ids) == len(set(ids))


def test_list_users_orders_users_sharing_a_timestamp_by_id_descending(
    app: Flask, client: FlaskClient, admin: Account, admin_tokens: Tokens
) -> None:
    tied = insert_users(app, 5, created_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC))

    pages = walk(client, USERS, admin_tokens, limit=2)

    expected = [str(admin.id)] + [str(user_id) for user_id in sorted(tied, reverse=True)]
    assert ids_of(pages) == expected


@pytest.mark.parametrize("param", ["_external", "_anchor", "_method", "endpoint", "_scheme", "bogus"])
def test_list_users_next_link_carries_only_validated_parameters(
    app: Flask, client: FlaskClient, admin_tokens: Tokens, param: str
) -> None:
    for _ in range(2):
        create_account(app)
    response = client.get(
        USERS,
        query_string={"limit": 1, "role": "user", "is_active": "true", param: "evil"},
        headers=admin_tokens.headers,
    )
    assert response.status_code == 200
    link = response.headers["Link"]
    assert "evil" not in link
    assert "#" not in link
    assert "limit=1" in link
    assert "role=user" in link
    assert "is_active=true" in link
    assert link.endswith('>; rel="next"')


def test_the_next_link_ignores_a_forged_host(app: Flask, client: FlaskClient, admin_tokens: Tokens) -> None:
    create_account(app)
    response = client.get(
        USERS, query_string={"limit": 1}, headers={**admin_tokens.headers, "Host": "evil.example"}
    )
    assert response.status_code == 200
    link = response.headers["Link"]
    assert "evil.example" not in link
    assert link.startswith("</api/v1/users?")


class TestConfiguredPublicBaseUrl:
    @pytest.fixture
    def app_overrides(self) -> dict[str, Any]:
        return {"PUBLIC_BASE_URL": "https://api.example.com"}

    def test_the_next_link_is_under_the_public_base_url(
        self, app: Flask, client: FlaskClient, admin_tokens: Tokens
    ) -> None:
        create_account(app)
        response = client.get(
            USERS, query_string={"limit": 1}, headers={**admin_tokens.headers, "Host": "evil.example"}
        )
        assert response.headers["Link"].startswith("<https://api.example.com/api/v1/users?limit=1&cursor=")
