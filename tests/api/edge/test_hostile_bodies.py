"""Hostile JSON on every route that reads a body: one parser reads them all, so what the limits see
is what validation sees. Bytes that are not UTF-8 JSON text, lone surrogates and nesting deeper than
the parser reads are a 400 `bad_request`; valid JSON with a bad value is a 422; nothing is a 500
and nothing is mistaken for a missing body."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.web.blueprint import MAX_DEPTH
from tests.support.accounts import Account, Tokens, create_account, login

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"
PROBLEM = "application/problem+json"
PATH_PARAMETER = re.compile(r"\{\w+\}")


@dataclass(frozen=True)
class BodyRoute:
    method: str
    path: str
    field: str  # a field the operation reads, to carry a hostile value
    admin: bool = False
    keyed: bool = False  # takes an Idempotency-Key
    password: bool = False  # `field` is a password: any character but NUL is just a wrong password

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


BODY_ROUTES = [
    BodyRoute("POST", LOGIN, "email"),
    BodyRoute("POST", REGISTER, "email", keyed=True),
    BodyRoute("POST", "/api/v1/auth/password-reset", "email", keyed=True),
    BodyRoute("POST", "/api/v1/auth/password-reset/confirm", "token"),
    BodyRoute("POST", "/api/v1/auth/verify-email", "token"),
    BodyRoute("POST", "/api/v1/auth/reauthenticate", "code", admin=True),
    BodyRoute("POST", "/api/v1/users", "email", admin=True, keyed=True),
    BodyRoute("PATCH", "/api/v1/users/{user_id}", "name", admin=True),
    BodyRoute("POST", "/api/v1/auth/mfa/verify", "mfa_token"),
    BodyRoute("POST", "/api/v1/auth/mfa/totp", "password", admin=True, password=True),
    BodyRoute("POST", "/api/v1/auth/mfa/totp/confirm", "code", admin=True),
    BodyRoute("POST", "/api/v1/auth/mfa/totp/disable", "code", admin=True),
    BodyRoute("POST", "/api/v1/auth/mfa/recovery-codes", "code", admin=True),
    BodyRoute("POST", "/api/v1/api-keys", "name", admin=True),
    # make resource: generated body routes above this line
]
KEYED_ROUTES = [route for route in BODY_ROUTES if route.keyed]


Caller = Callable[[], tuple[Account, Tokens]]


def send(
    client: FlaskClient, route: BodyRoute, body: bytes, caller: Caller, headers: dict[str, str] | None = None
) -> Any:
    path, auth = route.path, {}
    if route.admin:
        admin, tokens = caller()
        # Any id does: the body is refused before the route looks the resource up.
        path, auth = PATH_PARAMETER.sub(str(admin.id), route.path), tokens.headers
    return client.open(
        path,
        method=route.method,
        data=body,
        content_type="application/json",
        headers={**auth, **(headers or {})},
    )


@pytest.fixture
def caller(app: Flask, client: FlaskClient) -> Caller:
    """An admin and its tokens, made on first use: only the admin routes pay for a login."""
    made: list[tuple[Account, Tokens]] = []

    def admin() -> tuple[Account, Tokens]:
        if not made:
            account = create_account(app, role="admin")
            made.append((account, login(client, account)))
        return made[0]

    return admin


def assert_bad_request(response: Any, detail: str | None = None) -> None:
    body = response.get_json()
    assert response.status_code == 400, body
    assert response.content_type == PROBLEM
    assert body["code"] == "bad_request"
    assert "errors" not in body
    if detail is not None:
        assert detail in body["detail"]


def assert_validation_error(response: Any) -> None:
    body = response.get_json()
    assert response.status_code == 422, body
    assert response.content_type == PROBLEM
    assert body["code"] == "validation_error"


def assert_nothing_went_wrong(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


def test_the_body_routes_here_are_every_operation_that_reads_a_body(client: FlaskClient) -> None:
    document = client.get("/openapi.json").get_json()
    documented = {
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "requestBody" in operation
    }
    assert {str(route) for route in BODY_ROUTES} == documented
    keyed = {
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict)
        and any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    assert {str(route) for route in KEYED_ROUTES} == keyed


# --- Nesting: closed, valid documents, refused past the parser's depth -----------------------------


def nested_arrays(depth: int) -> str:
    """`depth` levels of arrays: [[...[]...]]."""
    return "[" * depth + "]" * depth


def nested_objects(depth: int) -> str:
    """`depth` levels of objects: {"a":{"a":...{}...}}."""
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


SHAPES: dict[str, Callable[[int], str]] = {"arrays": nested_arrays, "objects": nested_objects}


def place(route: BodyRoute, placement: str, document: str) -> bytes:
    """The document as the whole body, or as the value of one of the operation's fields."""
    body = document if placement == "body" else f'{{"{route.field}":{document}}}'
    return body.encode()


@pytest.mark.parametrize("shape", SHAPES)
def test_the_parser_reads_exactly_max_depth_levels(shape: str) -> None:
    """orjson's depth is not configurable: this pins the limit the API documents."""
    nest = SHAPES[shape]
    assert orjson.loads(nest(MAX_DEPTH)) is not None
    with pytest.raises(orjson.JSONDecodeError, match="depth limit"):
        orjson.loads(nest(MAX_DEPTH + 1))


@pytest.mark.parametrize("depth", [10_000, 100_000])
@pytest.mark.parametrize("shape", SHAPES)
def test_the_deep_documents_sent_are_closed_and_fit_the_size_limit(
    client: FlaskClient, shape: str, depth: int
) -> None:
    document = SHAPES[shape](depth)
    opened = sum(document.count(char) for char in "[{")
    assert opened == depth == sum(document.count(char) for char in "]}")
    assert len(place(BODY_ROUTES[0], "field", document)) < client.application.config["MAX_CONTENT_LENGTH"]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000, 100_000])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("placement", ["body", "field"])
@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_valid_json_nested_deeper_than_the_parser_reads_is_400_without_a_stack(
    client: FlaskClient,
    caller: Caller,
    caplog: pytest.LogCaptureFixture,
    route: BodyRoute,
    placement: str,
    shape: str,
    depth: int,
) -> None:
    with caplog.at_level(logging.INFO):
        response = send(client, route, place(route, placement, SHAPES[shape](depth)), caller)
    assert_bad_request(response, f"deeper than {MAX_DEPTH} levels")
    assert_nothing_went_wrong(caplog)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_nesting_the_parser_reads_is_a_validation_error(
    client: FlaskClient,
    caller: Caller,
    caplog: pytest.LogCaptureFixture,
    route: BodyRoute,
    shape: str,
) -> None:
    nest = SHAPES[shape]
    with caplog.at_level(logging.INFO):
        for body in (place(route, "body", nest(MAX_DEPTH)), place(route, "field", nest(MAX_DEPTH - 1))):
            assert_validation_error(send(client, route, body, caller))
    assert_nothing_went_wrong(caplog)


@pytest.mark.parametrize("depth", [255, 1_000, MAX_DEPTH])
@pytest.mark.parametrize("route", KEYED_ROUTES, ids=str)
def test_a_deep_body_under_an_idempotency_key_is_answered_and_replayed(
    client: FlaskClient,
    caller: Caller,
    caplog: pytest.LogCaptureFixture,
    route: BodyRoute,
    depth: int,
) -> None:
    """The key's fingerprint reads every body the parser reads (orjson writes only 254 levels)."""
    body = place(route, "body", nested_objects(depth))
    key = {"Idempotency-Key": str(uuid.uuid4())}
    with caplog.at_level(logging.INFO):
        first = send(client, route, body, caller, key)
        retry = send(client, route, body, caller, key)
    assert_validation_error(first)
    assert_validation_error(retry)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert_nothing_went_wrong(caplog)


# --- Encodings: JSON text is UTF-8, without a byte order mark ----------------------------------------


def encoded(route: BodyRoute, encoding: str) -> bytes:
    return f'{{"{route.field}": "someone@example.com"}}'.encode(encoding)


@pytest.mark.parametrize(
    "make_body",
    [
        pytest.param(lambda route: b"\xff\xfe\xfa not utf-8", id="latin-garbage"),
        pytest.param(
            lambda route: f'{{"{route.field}": "\xff"}}'.encode("latin-1"), id="latin-1-in-a-string"
        ),
        pytest.param(lambda route: f'{{"{route.field}": "x"}}'.encode() + b"\xc3", id="truncated-sequence"),
        pytest.param(lambda route: b'{"a": "\xed\xa0\x80"}', id="encoded-surrogate"),
        pytest.param(lambda route: encoded(route, "utf-16"), id="utf-16-bom"),
        pytest.param(lambda route: b"\xfe\xff" + encoded(route, "utf-16-be"), id="utf-16-be-bom"),
        pytest.param(lambda route: encoded(route, "utf-32"), id="utf-32-bom"),
        pytest.param(lambda route: b"\x00\x00\xfe\xff" + encoded(route, "utf-32-be"), id="utf-32-be-bom"),
    ],
)
@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_a_body_that_is_not_utf8_is_400_not_a_missing_body(
    client: FlaskClient,
    caller: Caller,
    route: BodyRoute,
    make_body: Callable[[BodyRoute], bytes],
) -> None:
    assert_bad_request(send(client, route, make_body(route), caller), "not UTF-8")


@pytest.mark.parametrize(
    "make_body",
    [
        pytest.param(lambda route: encoded(route, "utf-16-le"), id="utf-16-le"),
        pytest.param(lambda route: encoded(route, "utf-16-be"), id="utf-16-be"),
        pytest.param(lambda route: encoded(route, "utf-32-le"), id="utf-32-le"),
        pytest.param(lambda route: encoded(route, "utf-32-be"), id="utf-32-be"),
        pytest.param(lambda route: b"\x00", id="nul"),
        pytest.param(lambda route: f'{{"{route.field}": "a\x00b"}}'.encode(), id="raw-nul-in-a-string"),
        pytest.param(lambda route: f'{{"{route.field}": "\\ud800"}}'.encode(), id="lone-high-surrogate"),
        pytest.param(lambda route: f'{{"{route.field}": "\\udfff x"}}'.encode(), id="lone-low-surrogate"),
        pytest.param(lambda route: b"\xef\xbb\xbf", id="lone-bom"),
        pytest.param(lambda route: b"\xef\xbb\xbf" + encoded(route, "utf-8"), id="bom-then-json"),
        pytest.param(lambda route: b"   ", id="only-whitespace"),
    ],
)
@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_bytes_that_are_not_one_json_text_are_400(
    client: FlaskClient,
    caller: Caller,
    route: BodyRoute,
    make_body: Callable[[BodyRoute], bytes],
) -> None:
    assert_bad_request(send(client, route, make_body(route), caller))


@pytest.mark.parametrize("value", ["\\u0000", "a\\u0000b", "\\ufeff"])
@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_valid_json_with_an_unusable_character_is_a_validation_error_naming_the_field(
    client: FlaskClient,
    caller: Caller,
    caplog: pytest.LogCaptureFixture,
    route: BodyRoute,
    value: str,
) -> None:
    """Escapes that decode to text no column stores (NUL) or that no single-line text field takes
    (a byte order mark): refused by the field, before any token is read or any row is touched."""
    with caplog.at_level(logging.INFO):
        response = send(client, route, f'{{"{route.field}": "{value}"}}'.encode(), caller)
    if route.password and value == "\\ufeff":
        assert response.get_json()["code"] == "invalid_current_password"
        assert_nothing_went_wrong(caplog)
        return
    assert_validation_error(response)
    assert route.field in response.get_json()["errors"]["json"]
    assert_nothing_went_wrong(caplog)


def test_an_empty_body_is_no_body_and_the_missing_fields_are_named(client: FlaskClient) -> None:
    response = client.post(REGISTER, data=b"", content_type="application/json")
    assert_validation_error(response)
    assert set(response.get_json()["errors"]["json"]) == {"email", "password", "name"}


def test_a_lone_surrogate_with_a_duplicate_password_never_reaches_the_password_check(
    client: FlaskClient, user: Account
) -> None:
    body = f'{{"email": "{user.email}", "password": "\\ud800", "password": "{user.password}"}}'
    assert_bad_request(client.post(LOGIN, data=body, content_type="application/json"))


def test_every_api_blueprint_parses_with_the_one_parser(client: FlaskClient) -> None:
    import flask_smorest

    from app.factory import FEATURE_BLUEPRINTS
    from app.web.blueprint import Blueprint

    smorest = [bp for bp in client.application.blueprints.values() if isinstance(bp, flask_smorest.Blueprint)]
    names = {bp.name for bp in smorest}
    assert names == {bp.name for bp in FEATURE_BLUEPRINTS}  # a generated resource's included
    assert names >= {"auth", "users", "audit", "health"}
    assert all(isinstance(bp, Blueprint) for bp in smorest)
