"""Security headers on every response, and CORS only for configured origins."""

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import databases
from tests.support.accounts import Account, Tokens

ORIGIN = "https://app.example.com"


def assert_security_headers(response: Any) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/health", "/nowhere", "/api/v1/users/me", "/openapi.json"])
def test_security_headers_on_success_and_error_responses(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert_security_headers(response)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "Strict-Transport-Security" not in response.headers


def test_docs_get_the_csp_swagger_ui_needs_and_no_inline_scripts(client: FlaskClient) -> None:
    response = client.get("/docs")
    assert_security_headers(response)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "<script>" not in response.get_data(as_text=True)


def test_hsts_when_configured(app: Flask) -> None:
    secured = databases.make_app(app.config["SQLALCHEMY_DATABASE_URI"], {"HSTS_SECONDS": "31536000"})
    response = secured.test_client().get("/health")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    databases.dispose(secured)


def test_token_and_user_responses_are_not_cached(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    login = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert login.headers["Cache-Control"] == "no-store"
    me = client.get("/api/v1/users/me", headers=user_tokens.headers)
    assert me.status_code == 200
    assert me.headers["Cache-Control"] == "no-store"


def _cors_app(app: Flask) -> Flask:
    return databases.make_app(
        app.config["SQLALCHEMY_DATABASE_URI"], {"CORS_ORIGINS": f"{ORIGIN},https://b.example"}
    )


def _preflight(client: FlaskClient, origin: str) -> Any:
    return client.options(
        "/api/v1/auth/refresh",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-CSRF-TOKEN, Content-Type",
        },
    )


def test_cors_preflight_allows_a_configured_origin_with_credentials(app: Flask) -> None:
    cors = _cors_app(app)
    response = _preflight(cors.test_client(), ORIGIN)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "x-csrf-token" in response.headers["Access-Control-Allow-Headers"].lower()
    databases.dispose(cors)


def test_cors_preflight_refuses_other_origins(app: Flask) -> None:
    cors = _cors_app(app)
    response = _preflight(cors.test_client(), "https://evil.example")
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers
    databases.dispose(cors)


# Origins a matcher by prefix, suffix, substring or pattern would let through: none is configured.
LOOK_ALIKE_ORIGINS = [
    "https://app.example.com.evil.example",  # a configured origin as a prefix
    "https://app.example.com:443.evil.example",
    "https://app.example.com@evil.example",  # ... followed by userinfo syntax
    "https://app.example.com/",  # ... with a path
    "https://b.example.evil.example",  # the other configured origin as a prefix
    "https://evil.app.example.com",  # a configured origin's host as a suffix
    "https://evilapp.example.com",
    "https://app.example.co",  # a prefix of a configured origin
    "http://app.example.com",  # another scheme
    "wss://app.example.com",
    "https://app.example.com:8443",  # another port
    "https://app-example.com",  # a dot read as a regex wildcard
    "null",  # sandboxed documents, file: and data: URLs
    "*",
]
SIMPLE_REQUESTS = [
    ("GET", "/api/v1/users/me"),
    ("POST", "/api/v1/auth/refresh"),
    ("HEAD", "/api/v1/users/me"),
]


@pytest.fixture
def cors_client(app: Flask) -> Iterator[FlaskClient]:
    cors = _cors_app(app)
    yield cors.test_client()
    databases.dispose(cors)


def assert_no_cors_grant(response: Any) -> None:
    granted = {name for name, _ in response.headers.items() if name.lower().startswith("access-control-")}
    assert granted == set()


@pytest.mark.parametrize("origin", LOOK_ALIKE_ORIGINS)
def test_a_look_alike_origin_gets_no_preflight_grant(cors_client: FlaskClient, origin: str) -> None:
    assert_no_cors_grant(_preflight(cors_client, origin))


@pytest.mark.parametrize(("method", "path"), SIMPLE_REQUESTS)
@pytest.mark.parametrize("origin", LOOK_ALIKE_ORIGINS)
def test_a_look_alike_origin_gets_no_grant_on_a_simple_request(
    cors_client: FlaskClient, origin: str, method: str, path: str
) -> None:
    assert_no_cors_grant(cors_client.open(path, method=method, headers={"Origin": origin}))


@pytest.mark.parametrize(("method", "path"), SIMPLE_REQUESTS)
@pytest.mark.parametrize("origin", [ORIGIN, "https://b.example"])
def test_each_configured_origin_is_echoed_with_credentials_on_a_simple_request(
    cors_client: FlaskClient, origin: str, method: str, path: str
) -> None:
    response = cors_client.open(path, method=method, headers={"Origin": origin})
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers["Vary"]


def test_cors_is_off_without_configured_origins(client: FlaskClient) -> None:
    response = _preflight(client, ORIGIN)
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_exposes_headers_clients_need(app: Flask) -> None:
    cors = _cors_app(app)
    response = cors.test_client().get("/api/v1/users/me", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    for name in ("etag", "link", "x-request-id", "retry-after", "idempotent-replayed"):
        assert name in exposed
    databases.dispose(cors)


def test_a_browser_may_send_an_idempotency_key(app: Flask) -> None:
    cors = _cors_app(app)
    response = cors.test_client().options(
        "/api/v1/auth/register",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, Idempotency-Key",
        },
    )
    assert "idempotency-key" in response.headers["Access-Control-Allow-Headers"].lower()
    databases.dispose(cors)


def _varies_by_origin(response: Any) -> bool:
    return "origin" in {value.strip().lower() for value in response.headers.get("Vary", "").split(",")}


@pytest.fixture
def one_origin_client(app: Flask) -> Iterator[FlaskClient]:
    """One configured origin: flask-cors by itself would add no Vary for it."""
    cors = databases.make_app(app.config["SQLALCHEMY_DATABASE_URI"], {"CORS_ORIGINS": ORIGIN})
    yield cors.test_client()
    databases.dispose(cors)


@pytest.mark.parametrize("origin", [ORIGIN, "https://evil.example", None])
def test_cors_answers_vary_by_origin_whether_granted_or_not(
    one_origin_client: FlaskClient, origin: str | None
) -> None:
    headers = {} if origin is None else {"Origin": origin}
    response = one_origin_client.get("/api/v1/users/me", headers=headers)
    assert response.status_code == 401
    assert _varies_by_origin(response)
    assert response.headers.get("Access-Control-Allow-Origin") == (ORIGIN if origin == ORIGIN else None)


@pytest.mark.parametrize("origin", [ORIGIN, "https://evil.example"])
def test_cors_preflights_vary_by_origin_whether_granted_or_not(
    one_origin_client: FlaskClient, origin: str
) -> None:
    response = _preflight(one_origin_client, origin)
    assert _varies_by_origin(response)
    assert response.headers.get("Access-Control-Allow-Origin") == (ORIGIN if origin == ORIGIN else None)


def test_vary_names_origin_once(cors_client: FlaskClient) -> None:
    response = cors_client.get("/api/v1/users/me", headers={"Origin": ORIGIN})
    values = [v.strip().lower() for line in response.headers.getlist("Vary") for v in line.split(",")]
    assert values.count("origin") == 1


def test_development_grants_the_frontend_urls_origin_by_default(app: Flask) -> None:
    development = databases.make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        {"APP_ENV": "development", "FRONTEND_URL": "http://localhost:3000/app"},
    )
    client = development.test_client()
    granted = _preflight(client, "http://localhost:3000")
    assert granted.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert granted.headers["Access-Control-Allow-Credentials"] == "true"
    assert_no_cors_grant(_preflight(client, "http://127.0.0.1:3000"))
    databases.dispose(development)


def test_test_and_production_profiles_keep_cors_off_without_configured_origins(client: FlaskClient) -> None:
    response = _preflight(client, "http://localhost:3000")
    assert_no_cors_grant(response)
    assert not _varies_by_origin(response)
