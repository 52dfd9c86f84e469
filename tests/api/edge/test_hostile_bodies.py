"""Hostile JSON: one parser reads every body, so what the limits see is what validation sees, and no
depth of nesting, duplicate key or lone surrogate gets past a 400."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient

from tests.support.accounts import Account, Tokens

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"


def assert_bad_request(response: object) -> None:
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response.content_type == "application/problem+json"  # type: ignore[attr-defined]
    assert response.get_json()["code"] == "bad_request"  # type: ignore[attr-defined]


@pytest.mark.parametrize("depth", [2_000, 50_000, 100_000])
@pytest.mark.parametrize("path", [LOGIN, REGISTER])
def test_deeply_nested_json_is_400_without_a_stack_in_the_log(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, path: str, depth: int
) -> None:
    with caplog.at_level(logging.INFO):
        response = client.post(path, data="[" * depth, content_type="application/json")
    assert_bad_request(response)
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


def test_deeply_nested_json_in_a_patch_is_400(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    response = client.patch(
        f"/api/v1/users/{user.id}",
        data='{"name": ' + "[" * 50_000,
        content_type="application/json",
        headers=user_tokens.headers,
    )
    assert_bad_request(response)


def test_a_lone_surrogate_with_a_duplicate_password_never_reaches_the_password_check(
    client: FlaskClient, user: Account
) -> None:
    body = f'{{"email": "{user.email}", "password": "\\ud800", "password": "{user.password}"}}'
    assert_bad_request(client.post(LOGIN, data=body, content_type="application/json"))


@pytest.mark.parametrize(
    "body",
    ['{"email": "a@example.com", "password": "\\udfff"}', '{"email": "\\ud83d", "password": "x"}'],
)
def test_lone_surrogates_are_400_wherever_they_are(client: FlaskClient, body: str) -> None:
    assert_bad_request(client.post(LOGIN, data=body, content_type="application/json"))


def test_every_api_blueprint_parses_with_the_one_parser(client: FlaskClient) -> None:
    import flask_smorest

    from app.web.blueprint import Blueprint

    smorest = [bp for bp in client.application.blueprints.values() if isinstance(bp, flask_smorest.Blueprint)]
    assert {bp.name for bp in smorest} == {"auth", "users", "audit", "health"}
    assert all(isinstance(bp, Blueprint) for bp in smorest)
