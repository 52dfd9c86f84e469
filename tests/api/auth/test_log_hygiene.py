"""What the auth endpoints write to the log: the access line's fields, and never a secret."""

from __future__ import annotations

import os

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.auth.helpers import (
    AUTH_COOKIE_PATH,
    CSRF_COOKIE,
    LOGIN,
    LOGOUT,
    ME,
    REFRESH,
    REFRESH_COOKIE,
    REGISTER,
    bearer,
    user_url,
)
from tests.support.accounts import Account, Tokens, unique_email
from tests.support.logs import ProductionLog

PASSWORD = "Violet-Quarry-Tandem-63"
WRONG_PASSWORD = "Saffron-Glacier-Wren-81"
SHORT_PASSWORD = "Zq9#Wv1"


@pytest.fixture
def captured(app: Flask, production_log: ProductionLog) -> ProductionLog:
    """The production log, from the moment the app exists."""
    return production_log


def cookie_value(client: FlaskClient, name: str, path: str = "/") -> str:
    cookie = client.get_cookie(name, path=path)
    assert cookie is not None, name
    return cookie.value


def run_session(client: FlaskClient, email: str) -> list[str]:
    """Register, fail and succeed a login, refresh by header and by cookie, log out; return every secret seen."""
    secrets = [PASSWORD, WRONG_PASSWORD, SHORT_PASSWORD]
    too_short = client.post(REGISTER, json={"email": unique_email(), "password": SHORT_PASSWORD, "name": "N"})
    assert too_short.status_code == 422
    assert client.post(REGISTER, json={"email": email, "password": PASSWORD, "name": "N"}).status_code == 201
    assert client.post(LOGIN, json={"email": email, "password": WRONG_PASSWORD}).status_code == 401
    pair = client.post(LOGIN, json={"email": email, "password": PASSWORD}).get_json()
    secrets += [pair["access_token"], pair["refresh_token"], cookie_value(client, CSRF_COOKIE)]
    rotated = client.post(REFRESH, headers=bearer(pair["refresh_token"])).get_json()
    secrets += [rotated["access_token"], rotated["refresh_token"]]
    csrf = cookie_value(client, CSRF_COOKIE)
    secrets += [csrf, cookie_value(client, REFRESH_COOKIE, AUTH_COOKIE_PATH)]
    by_cookie = client.post(REFRESH, headers={"X-CSRF-TOKEN": csrf}).get_json()
    secrets += [by_cookie["access_token"], by_cookie["refresh_token"]]
    assert client.post(LOGOUT, headers=bearer(by_cookie["access_token"])).status_code == 204
    return secrets


def test_log_hygiene_auth_flow_logs_no_password_token_or_cookie(
    app: Flask, client: FlaskClient, captured: ProductionLog
) -> None:
    secrets = run_session(client, unique_email("hygiene"))
    secrets.append(str(app.config["JWT_SECRET_KEY"]))
    # Each token's signature alone would be enough to notice a partial leak.
    secrets += [s.rsplit(".", 1)[1] for s in secrets if s.count(".") == 2]
    assert len(captured.lines) >= 7
    for line in captured.lines:
        for secret in secrets:
            assert secret not in line, f"a secret reached the log: {line}"


def test_log_hygiene_auth_flow_logs_one_access_line_per_request(
    client: FlaskClient, captured: ProductionLog
) -> None:
    run_session(client, unique_email("lines"))
    assert len(captured.access("/api/v1/auth/register")) == 2
    assert len(captured.access("/api/v1/auth/login")) == 2
    assert len(captured.access("/api/v1/auth/refresh")) == 2
    assert len(captured.access("/api/v1/auth/logout")) == 1


def test_log_hygiene_access_line_carries_request_fields_and_user_id_after_auth(
    client: FlaskClient, user: Account, user_tokens: Tokens, captured: ProductionLog
) -> None:
    response = client.post(LOGOUT, headers=user_tokens.headers)
    assert response.status_code == 204
    [line] = captured.access("/api/v1/auth/logout")
    assert line["level"] == "INFO"
    assert line["method"] == "POST"
    assert line["status"] == 204
    assert isinstance(line["duration_ms"], int | float)
    assert line["duration_ms"] >= 0
    assert line["client"] == "127.0.0.1"
    assert line["user_id"] == str(user.id)
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["pid"] == os.getpid()


def test_log_hygiene_access_line_has_no_user_id_before_auth(
    client: FlaskClient, user: Account, captured: ProductionLog
) -> None:
    response = client.post(LOGIN, json={"email": user.email, "password": user.password})
    assert response.status_code == 200
    [line] = captured.access("/api/v1/auth/login")
    assert line["status"] == 200
    assert line["user_id"] is None
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_log_hygiene_access_line_names_the_route_template_not_the_path(
    client: FlaskClient, user: Account, user_tokens: Tokens, captured: ProductionLog
) -> None:
    response = client.get(user_url(user.id), headers=user_tokens.headers)
    assert response.status_code == 200
    [line] = captured.access("/api/v1/users/<uuid:user_id>")
    assert str(user.id) not in line["message"]
    assert line["user_id"] == str(user.id)
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_log_hygiene_access_line_keeps_an_inbound_request_id(
    client: FlaskClient, user_tokens: Tokens, captured: ProductionLog
) -> None:
    response = client.get(ME, headers={**user_tokens.headers, "X-Request-ID": "edge-7f3a.trace_1"})
    assert response.headers["X-Request-ID"] == "edge-7f3a.trace_1"
    [line] = captured.access("/api/v1/users/me")
    assert line["request_id"] == "edge-7f3a.trace_1"


def test_log_hygiene_refused_token_is_not_logged(fresh_client: FlaskClient, captured: ProductionLog) -> None:
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLW9mLWEtZm9yZ2Vy"
    response = fresh_client.get(ME, headers=bearer(forged))
    assert response.status_code == 401
    [line] = captured.access("/api/v1/users/me")
    assert line["status"] == 401
    assert line["user_id"] is None
    assert all("c2lnbmF0dXJlLW9mLWEtZm9yZ2Vy" not in text for text in captured.lines)
