"""POST /api/v1/auth/login: the token pair, its cookies, and refusals that reveal nothing."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.api.auth.helpers import (
    AUTH_COOKIE_PATH,
    CSRF_COOKIE,
    LOGIN,
    ME,
    REFRESH_COOKIE,
    assert_problem,
    assert_unauthorized,
    assert_validation_error,
    bearer,
    claims_of,
)
from tests.support.accounts import Account, unique_email


def post_login(client: FlaskClient, email: str, password: str) -> TestResponse:
    return client.post(LOGIN, json={"email": email, "password": password})


def set_cookie_line(response: TestResponse, name: str) -> str:
    lines = [line for line in response.headers.getlist("Set-Cookie") if line.startswith(f"{name}=")]
    assert len(lines) == 1, response.headers.getlist("Set-Cookie")
    return lines[0]


def cookie_attributes(line: str) -> dict[str, str]:
    """Attribute names (lower-cased) to values, from one Set-Cookie line."""
    attributes = {}
    for part in line.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return attributes


def without_request_id(response: TestResponse) -> bytes:
    request_id = response.get_json()["request_id"]
    return response.get_data().replace(request_id.encode(), b"")


def test_login_returns_200_with_a_bearer_token_pair(client: FlaskClient, user: Account) -> None:
    response = post_login(client, user.email, user.password)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "device_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["access_token"] != body["refresh_token"]


def test_login_tokens_name_the_user_and_one_session(client: FlaskClient, user: Account) -> None:
    body = post_login(client, user.email, user.password).get_json()
    access, refresh = claims_of(body["access_token"]), claims_of(body["refresh_token"])
    assert access["type"] == "access"
    assert refresh["type"] == "refresh"
    assert access["sub"] == refresh["sub"] == str(user.id)
    assert access["sid"] == refresh["sid"]
    assert access["exp"] - access["iat"] == 900


def test_login_access_token_authenticates_the_user(client: FlaskClient, user: Account) -> None:
    body = post_login(client, user.email, user.password).get_json()
    response = client.get(ME, headers=bearer(body["access_token"]))
    assert response.status_code == 200
    assert response.get_json()["id"] == str(user.id)


def test_login_response_is_not_cacheable(client: FlaskClient, user: Account) -> None:
    response = post_login(client, user.email, user.password)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_login_sets_the_refresh_cookie_httponly_strict_and_scoped_to_auth(
    client: FlaskClient, user: Account
) -> None:
    response = post_login(client, user.email, user.password)
    line = set_cookie_line(response, REFRESH_COOKIE)
    assert line.split(";")[0] == f"{REFRESH_COOKIE}={response.get_json()['refresh_token']}"
    attributes = cookie_attributes(line)
    assert "httponly" in attributes
    assert attributes["samesite"] == "Strict"
    assert attributes["path"] == AUTH_COOKIE_PATH
    # APP_ENV=test is "outside development": the cookie travels over HTTPS only.
    assert "secure" in attributes
    assert int(attributes["max-age"]) == 30 * 24 * 3600


def test_login_sets_the_device_cookie_httponly_strict_scoped_to_auth_for_a_year(
    client: FlaskClient, user: Account
) -> None:
    response = post_login(client, user.email, user.password)
    line = set_cookie_line(response, "keel_device")
    assert line.split(";")[0] == f"keel_device={response.get_json()['device_token']}"
    attributes = cookie_attributes(line)
    assert "httponly" in attributes
    assert attributes["samesite"] == "Strict"
    assert attributes["path"] == AUTH_COOKIE_PATH
    assert "secure" in attributes
    assert int(attributes["max-age"]) == 365 * 24 * 3600


def test_login_sets_a_csrf_cookie_the_front_end_can_read(client: FlaskClient, user: Account) -> None:
    response = post_login(client, user.email, user.password)
    line = set_cookie_line(response, CSRF_COOKIE)
    value = line.split(";")[0].partition("=")[2]
    assert value
    assert value == claims_of(response.get_json()["refresh_token"])["csrf"]
    attributes = cookie_attributes(line)
    assert "httponly" not in attributes
    assert attributes["samesite"] == "Strict"


def test_login_is_401_invalid_credentials_when_password_is_wrong(client: FlaskClient, user: Account) -> None:
    response = post_login(client, user.email, "Not-The-Password-99")
    assert_unauthorized(response, "invalid_credentials")


def test_login_is_401_invalid_credentials_when_email_is_unknown(client: FlaskClient) -> None:
    response = post_login(client, unique_email("nobody"), "Not-The-Password-99")
    assert_unauthorized(response, "invalid_credentials")


def test_login_refusals_are_identical_for_wrong_password_and_unknown_email(
    client: FlaskClient, user: Account
) -> None:
    wrong_password = post_login(client, user.email, "Not-The-Password-99")
    unknown_email = post_login(client, unique_email("nobody"), "Not-The-Password-99")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert without_request_id(wrong_password) == without_request_id(unknown_email)
    assert wrong_password.headers["WWW-Authenticate"] == unknown_email.headers["WWW-Authenticate"]


def test_login_refusal_sets_no_cookie(client: FlaskClient, user: Account) -> None:
    response = post_login(client, user.email, "Not-The-Password-99")
    assert response.status_code == 401
    assert response.headers.getlist("Set-Cookie") == []


def test_login_is_403_account_disabled_when_password_is_right(
    client: FlaskClient, disabled_user: Account
) -> None:
    response = post_login(client, disabled_user.email, disabled_user.password)
    assert_problem(response, 403, "account_disabled")
    assert response.headers.getlist("Set-Cookie") == []


def test_login_is_401_invalid_credentials_when_account_is_disabled_and_password_wrong(
    client: FlaskClient, disabled_user: Account
) -> None:
    response = post_login(client, disabled_user.email, "Not-The-Password-99")
    assert_unauthorized(response, "invalid_credentials")


@pytest.mark.parametrize("variant", ["upper", "padded", "upper_and_padded"])
def test_login_ignores_email_case_and_surrounding_whitespace(
    client: FlaskClient, user: Account, variant: str
) -> None:
    email = {
        "upper": user.email.upper(),
        "padded": f"  {user.email}\t",
        "upper_and_padded": f" {user.email.upper()} ",
    }[variant]
    response = post_login(client, email, user.password)
    assert response.status_code == 200, response.get_json()


def test_login_password_is_case_sensitive(client: FlaskClient, user: Account) -> None:
    assert_unauthorized(post_login(client, user.email, user.password.upper()), "invalid_credentials")


@pytest.mark.parametrize("missing", ["email", "password"])
def test_login_is_422_when_a_field_is_missing(client: FlaskClient, user: Account, missing: str) -> None:
    body = {"email": user.email, "password": user.password}
    del body[missing]
    assert_validation_error(client.post(LOGIN, json=body), missing)


def test_login_is_422_naming_both_fields_when_body_is_empty(client: FlaskClient) -> None:
    assert_validation_error(client.post(LOGIN, json={}), "email", "password")


def test_login_is_422_when_body_has_an_unknown_field(client: FlaskClient, user: Account) -> None:
    body = {"email": user.email, "password": user.password, "remember_me": True}
    assert_validation_error(client.post(LOGIN, json=body), "remember_me")


def test_login_is_400_bad_request_when_json_is_malformed(client: FlaskClient) -> None:
    response = client.post(LOGIN, data="{not json", content_type="application/json")
    assert_problem(response, 400, "bad_request")


def test_login_is_405_with_allow_for_get(client: FlaskClient) -> None:
    response = client.get(LOGIN)
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
