"""The served OpenAPI document is valid OpenAPI 3.0, as clients and code generators check it."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import OpenAPIV30SpecValidator


def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def test_the_served_document_validates_against_openapi_3_0(client: FlaskClient) -> None:
    spec = document(client)
    assert spec["openapi"].startswith("3.0")
    errors = [
        f"{list(e.absolute_path)}: {e.message[:200]}" for e in OpenAPIV30SpecValidator(spec).iter_errors()
    ]
    assert errors == []


def test_every_documented_response_header_has_a_schema(client: FlaskClient) -> None:
    missing = [
        (path, method, status, name)
        for path, operations in document(client)["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict)
        for status, response in operation.get("responses", {}).items()
        for name, header in response.get("headers", {}).items()
        if "schema" not in header and "content" not in header
    ]
    assert missing == []


def test_docs_and_document_are_served_by_default(client: FlaskClient) -> None:
    for path in ("/docs", "/docs/assets/swagger-ui-bundle.js", "/openapi.json"):
        with client.get(path) as response:
            assert response.status_code == 200


class TestDocsTurnedOff:
    @pytest.fixture
    def app_overrides(self) -> dict[str, Any]:
        return {"API_DOCS_ENABLED": "false"}

    @pytest.mark.parametrize(
        "path",
        ["/openapi.json", "/docs", "/docs/assets/swagger-ui-bundle.js", "/docs/static/keel-swagger-init.js"],
    )
    def test_nothing_of_the_docs_is_served(self, client: FlaskClient, path: str) -> None:
        with client.get(path) as response:
            assert response.status_code == 404
            assert response.content_type == "application/problem+json"

    def test_the_api_still_serves(self, client: FlaskClient) -> None:
        assert client.get("/health").status_code == 200
        assert (
            client.post("/api/v1/auth/login", json={"email": "a@example.com", "password": "x"}).status_code
            == 401
        )
