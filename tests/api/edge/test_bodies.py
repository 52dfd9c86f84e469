"""Body and content-type limits: 413, 415, 400 and 405, all problem+json, nothing changed."""

from typing import Any

import pytest
from flask.testing import FlaskClient

REGISTER = "/api/v1/auth/register"
VALID = '{"email": "body@example.com", "password": "Quiet-Harbour-Lantern-42", "name": "Body"}'


def assert_problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == code


def test_body_over_max_content_length_is_413(client: FlaskClient) -> None:
    assert_problem(
        client.post(REGISTER, data=b"{" + b" " * (1024 * 1024) + b"}", content_type="application/json"),
        413,
        "payload_too_large",
    )


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_non_json_body_is_415_and_creates_nothing(client: FlaskClient, content_type: str | None) -> None:
    response = client.post(
        REGISTER, data=VALID, headers={} if content_type is None else {"Content-Type": content_type}
    )
    assert_problem(response, 415, "unsupported_media_type")
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": "body@example.com", "password": "Quiet-Harbour-Lantern-42"}
        ).status_code
        == 401
    )


def test_json_with_charset_is_accepted(client: FlaskClient) -> None:
    response = client.post(REGISTER, data=VALID, content_type="application/json; charset=utf-8")
    assert response.status_code == 201


@pytest.mark.parametrize("body", ["{not json", '{"email": ', "\xff\xfe", "[1, 2"])
def test_malformed_json_is_400(client: FlaskClient, body: str) -> None:
    assert_problem(client.post(REGISTER, data=body, content_type="application/json"), 400, "bad_request")


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    response = client.put(REGISTER, json={})
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_bodyless_post_needs_no_content_type(client: FlaskClient) -> None:
    assert_problem(client.post("/api/v1/auth/logout"), 401, "unauthorized")
