"""POST /api/v1/auth/register: the account it creates, and every way a sign-up is refused."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.auth.helpers import LOGIN, REGISTER, assert_problem, assert_validation_error, bearer
from tests.support.accounts import unique_email

PASSWORD = "Amber-Falcon-Meadow-77"
USER_KEYS = {"id", "email", "email_verified", "name", "role", "is_active", "created_at", "updated_at"}


def signup(email: str | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": email or unique_email("signup"),
        "password": PASSWORD,
        "name": "Ada Lovelace",
    }
    body.update(changes)
    return body


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> int:
    return client.post(LOGIN, json={"email": email, "password": password}).status_code


def test_register_returns_201_with_the_user_representation(client: FlaskClient) -> None:
    body = signup()
    response = client.post(REGISTER, json=body)
    assert response.status_code == 201, response.get_json()
    user = response.get_json()
    assert set(user) == USER_KEYS
    assert uuid.UUID(user["id"])
    assert user["email"] == body["email"]
    assert user["name"] == "Ada Lovelace"
    assert user["role"] == "user"
    assert user["is_active"] is True


def test_register_response_reveals_no_password_or_hash(client: FlaskClient) -> None:
    response = client.post(REGISTER, json=signup())
    assert response.status_code == 201
    text = response.get_data(as_text=True)
    assert PASSWORD not in text
    assert "password" not in text
    assert "hash" not in text
    assert "$argon2" not in text


def test_register_timestamps_are_utc_with_explicit_offset(client: FlaskClient) -> None:
    user = client.post(REGISTER, json=signup()).get_json()
    for name in ("created_at", "updated_at"):
        assert user[name].endswith(("Z", "+00:00")), user[name]


def test_register_location_resolves_to_the_new_user(client: FlaskClient) -> None:
    body = signup()
    response = client.post(REGISTER, json=body)
    assert response.status_code == 201
    location = response.headers["Location"]
    assert location.endswith(f"/api/v1/users/{response.get_json()['id']}")
    tokens = client.post(LOGIN, json={"email": body["email"], "password": PASSWORD}).get_json()
    fetched = client.get(location, headers=bearer(tokens["access_token"]))
    assert fetched.status_code == 200
    assert fetched.get_json() == response.get_json()


def test_register_account_can_log_in(client: FlaskClient) -> None:
    body = signup()
    assert client.post(REGISTER, json=body).status_code == 201
    assert log_in(client, body["email"]) == 200


def test_register_trims_the_email(client: FlaskClient) -> None:
    email = unique_email("trim")
    response = client.post(REGISTER, json=signup(f"  {email}\t"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["email"] == email


def test_register_is_409_email_taken_when_email_differs_only_in_case_and_spaces(
    client: FlaskClient,
) -> None:
    local = f"bob-{uuid.uuid4().hex[:8]}"
    assert client.post(REGISTER, json=signup(f"{local}@x.com")).status_code == 201
    response = client.post(REGISTER, json=signup(f" {local.capitalize()}@X.com ", password="Other-Pass-1234"))
    assert_problem(response, 409, "email_taken")


def test_register_conflict_leaves_the_first_account_unchanged(client: FlaskClient) -> None:
    email = unique_email("first")
    assert client.post(REGISTER, json=signup(email)).status_code == 201
    duplicate = client.post(REGISTER, json=signup(email.upper(), password="Other-Pass-1234"))
    assert duplicate.status_code == 409
    assert log_in(client, email, "Other-Pass-1234") == 401
    assert log_in(client, email) == 200


# Each case: a body that must be refused, and the field errors.json must name.
INVALID_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("invalid_email", {"email": "not-an-email"}, "email"),
    ("email_without_domain", {"email": "someone@"}, "email"),
    ("password_of_7", {"password": "Xy7-Pq2"}, "password"),
    ("password_of_129", {"password": "Aa1-" + "x" * 125}, "password"),
    ("common_password", {"password": "password123"}, "password"),
    ("common_password_other_case", {"password": "ILoveYou1"}, "password"),
    ("common_password_iloveyou1", {"password": "iloveyou1"}, "password"),
    ("unknown_field_role", {"role": "admin"}, "role"),
    ("unknown_field_other", {"nickname": "ada"}, "nickname"),
    ("email_as_int", {"email": 12345}, "email"),
    ("name_as_list", {"name": ["Ada"]}, "name"),
    ("password_as_int", {"password": 1234567890}, "password"),
    ("email_null", {"email": None}, "email"),
    ("name_of_101", {"name": "n" * 101}, "name"),
    ("name_blank", {"name": "   "}, "name"),
    ("name_with_nul", {"name": "Ada\x00Lovelace"}, "name"),
    ("name_with_bidi_override", {"name": "Ada\u202eLovelace"}, "name"),
    ("name_with_newline", {"name": "Ada\nLovelace"}, "name"),
]


@pytest.mark.parametrize(
    ("change", "field"), [c[1:] for c in INVALID_BODIES], ids=[c[0] for c in INVALID_BODIES]
)
def test_register_is_422_validation_error(client: FlaskClient, change: dict[str, Any], field: str) -> None:
    response = client.post(REGISTER, json={**signup(), **change})
    assert_validation_error(response, field)


def test_register_is_422_when_email_is_over_254_characters(client: FlaskClient) -> None:
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example.com"
    assert len(email) > 254
    assert_validation_error(client.post(REGISTER, json=signup(email)), "email")


@pytest.mark.parametrize("missing", ["email", "password", "name"])
def test_register_is_422_when_a_field_is_missing(client: FlaskClient, missing: str) -> None:
    body = signup()
    del body[missing]
    body_errors = assert_validation_error(client.post(REGISTER, json=body), missing)["errors"]["json"]
    assert set(body_errors) == {missing}


def test_register_is_422_naming_every_field_when_body_is_empty(client: FlaskClient) -> None:
    assert_validation_error(client.post(REGISTER, json={}), "email", "password", "name")


def test_register_is_422_when_body_is_a_json_array(client: FlaskClient) -> None:
    response = client.post(REGISTER, json=[signup()])
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"]["json"]


def test_register_is_400_bad_request_when_json_is_malformed(client: FlaskClient) -> None:
    response = client.post(REGISTER, data='{"email": "a@b.com", ', content_type="application/json")
    body = assert_problem(response, 400, "bad_request")
    assert "errors" not in body


def test_register_accepts_passwords_of_exactly_8_and_128_characters(client: FlaskClient) -> None:
    for password in ("Qz7!mKp2", "Qz7!" + "mKp2" * 31):
        body = signup(password=password)
        assert client.post(REGISTER, json=body).status_code == 201, len(password)
        assert log_in(client, body["email"], password) == 200


# The cases that keep a usable email, so a second sign-up with it shows whether the first left a trace.
KEEPING_EMAIL = [c for c in INVALID_BODIES if "email" not in c[1]]


@pytest.mark.parametrize(
    ("change", "field"), [c[1:] for c in KEEPING_EMAIL], ids=[c[0] for c in KEEPING_EMAIL]
)
def test_register_creates_nothing_when_refused(
    client: FlaskClient, change: dict[str, Any], field: str
) -> None:
    email = unique_email("refused")
    refused = client.post(REGISTER, json={**signup(email), **change})
    assert refused.status_code == 422, field
    # Had the refused request created the account, this one would be 409.
    retry = client.post(REGISTER, json=signup(email))
    assert retry.status_code == 201, retry.get_json()


def test_register_creates_nothing_when_json_is_malformed(client: FlaskClient) -> None:
    email = unique_email("malformed")
    raw = f'{{"email": "{email}", "password": "{PASSWORD}", "name": "Ada"'
    assert client.post(REGISTER, data=raw, content_type="application/json").status_code == 400
    assert log_in(client, email) == 401


def test_register_is_405_with_allow_for_get(client: FlaskClient) -> None:
    response = client.get(REGISTER)
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
