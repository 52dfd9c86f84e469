"""What the served document declares of the browser's cookie flow: the CSRF header and the cookies set."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.api.test_openapi_document import document, resolve

AUTH = "/api/v1/auth"


def _operation(spec: dict[str, Any], path: str) -> dict[str, Any]:
    operation: dict[str, Any] = spec["paths"][f"{AUTH}{path}"]["post"]
    return operation


def _set_cookie(spec: dict[str, Any], path: str) -> str:
    headers = _operation(spec, path)["responses"]["200"]["headers"]
    header = resolve(spec, headers["Set-Cookie"])
    assert header["schema"] == {"type": "string"}
    description: str = header["description"]
    return description


def test_refresh_declares_the_csrf_header_as_optional_for_the_cookie_flow(client: FlaskClient) -> None:
    spec = document(client)
    parameters = [resolve(spec, p) for p in _operation(spec, "/refresh").get("parameters", ())]
    csrf = [p for p in parameters if p["in"] == "header" and p["name"] == "X-CSRF-TOKEN"]
    assert len(csrf) == 1
    assert csrf[0]["required"] is False
    assert csrf[0]["schema"]["type"] == "string"
    assert "cookie" in csrf[0]["description"].lower()
    assert "csrf_token_invalid" in csrf[0]["description"]


def test_refresh_documents_its_csrf_failure_code(client: FlaskClient) -> None:
    described = _operation(document(client), "/refresh")["responses"]["401"]["description"]
    assert "csrf_token_invalid" in described


def test_login_mfa_verify_and_refresh_declare_the_cookies_they_set(client: FlaskClient) -> None:
    spec = document(client)
    for path in ("/login", "/mfa/verify", "/refresh"):
        described = _set_cookie(spec, path)
        assert "refresh_token_cookie" in described, path
        assert "csrf_refresh_token" in described, path


def test_only_the_logins_declare_the_device_cookie(client: FlaskClient) -> None:
    spec = document(client)
    assert "keel_device" in _set_cookie(spec, "/login")
    assert "keel_device" in _set_cookie(spec, "/mfa/verify")
    assert "keel_device" not in _set_cookie(spec, "/refresh")
