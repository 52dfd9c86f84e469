"""Text is safe by default: NUL, which PostgreSQL cannot store, is a 422 naming the field in every
string a body or query string carries, and no operation loads text with a field that lets it pass.

The first test reads the served document, so an operation added later is covered without being
listed here; the second reads the registered blueprints, so a plain `fields.String` in a new
request schema fails before any request is sent; the third proves each shared text field refuses
what the first two rely on it to refuse."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Iterator
from typing import Any

import flask_smorest
import marshmallow as ma
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.web import fields as shared_fields
from tests.api.test_openapi_document import METHODS, concrete, document, resolve
from tests.support.accounts import Account, Tokens

PROBLEM = "application/problem+json"
# What a string with no example, enum or format in the document is given: long enough for any
# length rule here (a password's 8), short enough for every maximum.
PLAIN_SAMPLE = "plum-orbit-lantern-42"
FORMAT_SAMPLES = {
    "email": "grace@example.com",
    "uuid": str(uuid.uuid4()),
    "date-time": "2026-01-02T03:04:05Z",
}


def with_nul(sample: str) -> list[str]:
    """NUL alone, and NUL inside a value that is otherwise valid (so no length rule refuses it first)."""
    middle = len(sample) // 2
    return ["\u0000", sample[:middle] + "\u0000" + sample[middle:]]


def sample_for(schema: dict[str, Any], example: Any = None) -> str:
    if isinstance(example, str):
        return example
    if schema.get("enum"):
        return str(schema["enum"][0])
    if isinstance(schema.get("example"), str):
        return str(schema["example"])
    return FORMAT_SAMPLES.get(schema.get("format", ""), PLAIN_SAMPLE)


def is_text(schema: dict[str, Any]) -> bool:
    """A string in the document, or a parameter whose schema says nothing of its type (a cursor)."""
    return schema.get("type", "string") == "string"


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def body_cases(spec: dict[str, Any], operation: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    content = operation["requestBody"]["content"]["application/json"]
    example: dict[str, Any] = content["example"]
    for name, prop in resolve(spec, content["schema"]).get("properties", {}).items():
        prop = resolve(spec, prop)
        if prop.get("readOnly") or not is_text(prop):
            continue
        for value in with_nul(sample_for(prop, example.get(name))):
            yield name, {**example, name: value}


def query_cases(spec: dict[str, Any], operation: dict[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    for parameter in operation.get("parameters", []):
        parameter = resolve(spec, parameter)
        if parameter["in"] != "query" or not is_text(parameter.get("schema", {})):
            continue
        for value in with_nul(sample_for(parameter.get("schema", {}), parameter.get("example"))):
            yield parameter["name"], {parameter["name"]: value}


def refusal(response: Any, location: str, name: str) -> str | None:
    """Why the response is not the 422 naming `name` that a NUL deserves, or None when it is."""
    body = response.get_json(silent=True) or {}
    if response.status_code != 422 or response.content_type != PROBLEM:
        return f"{response.status_code} {body.get('code')}"
    if body.get("code") != "validation_error" or name not in body.get("errors", {}).get(location, {}):
        return f"422 {body.get('code')} {body.get('errors')}"
    return None


def test_nul_in_any_text_of_any_operation_is_a_validation_error_naming_it(
    client: FlaskClient, admin_tokens: Tokens
) -> None:
    spec = document(client)
    me = client.get("/api/v1/users/me", headers=admin_tokens.headers).get_json()
    failures, checked = [], 0
    for path, method, operation in operations(spec):
        url = concrete(spec, path, method, {"user_id": me["id"]})
        headers = dict(admin_tokens.headers) if operation["security"] else {}
        keyed = any(
            resolve(spec, p).get("name") == "Idempotency-Key" for p in operation.get("parameters", [])
        )
        cases: list[tuple[str, str, dict[str, Any]]] = []
        if "requestBody" in operation:
            cases += [("json", name, {"json": body}) for name, body in body_cases(spec, operation)]
        cases += [("query", name, {"query_string": query}) for name, query in query_cases(spec, operation)]
        for location, name, request in cases:
            if keyed:
                headers["Idempotency-Key"] = str(uuid.uuid4())
            response = client.open(url, method=method.upper(), headers=headers, **request)
            checked += 1
            why = refusal(response, location, name)
            if why:
                failures.append(f"{method.upper()} {path} {location}.{name}={request}: {why}")
    assert failures == []
    # Every string the seven body operations and two listings read today, each with two values.
    assert checked >= 40


def test_nul_in_any_documented_header_is_answered_never_a_500(
    client: FlaskClient, admin_tokens: Tokens
) -> None:
    """Headers are not loaded by a schema: each one is parsed where it is read (a key, a version, a
    device token), and none reaches a column as the client spelled it."""
    spec = document(client)
    me = client.get("/api/v1/users/me", headers=admin_tokens.headers).get_json()
    answered, checked = [], 0
    for path, method, operation in operations(spec):
        url = concrete(spec, path, method, {"user_id": me["id"]})
        content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        for parameter in (resolve(spec, p) for p in operation.get("parameters", [])):
            if parameter["in"] != "header":
                continue
            headers = dict(admin_tokens.headers) if operation["security"] else {}
            headers[parameter["name"]] = "a\u0000b"
            response = client.open(url, method=method.upper(), headers=headers, json=content.get("example"))
            checked += 1
            if response.status_code >= 500 or "html" in response.content_type:
                answered.append(f"{method.upper()} {path} {parameter['name']}: {response.status_code}")
    assert answered == []
    assert checked >= 6


def loaded_fields(schema: ma.Schema, where: str) -> Iterator[tuple[str, ma.fields.Field[Any]]]:
    """Every field a request can fill, through nested schemas, lists and dicts."""
    for name, field in schema.fields.items():
        if not field.dump_only:
            yield from _inside(field, f"{where}.{name}")


def _inside(field: ma.fields.Field[Any], where: str) -> Iterator[tuple[str, ma.fields.Field[Any]]]:
    yield where, field
    if isinstance(field, ma.fields.Nested) and isinstance(field.schema, ma.Schema):
        yield from loaded_fields(field.schema, where)
    elif isinstance(field, ma.fields.List):
        yield from _inside(field.inner, f"{where}[]")
    elif isinstance(field, ma.fields.Dict):
        for part in (field.key_field, field.value_field):
            if part is not None:
                yield from _inside(part, f"{where}{{}}")


def request_schemas(app: Flask) -> Iterator[tuple[str, ma.Schema]]:
    """The schema of every `@blp.arguments` of every registered blueprint: what requests load."""
    for blueprint in app.blueprints.values():
        if not isinstance(blueprint, flask_smorest.Blueprint):
            continue
        for endpoint, methods in blueprint._docs.items():
            for method, doc in methods.items():
                if method not in METHODS:  # the route's own path parameters, not a method
                    continue
                for argument in doc.get("arguments", {}).get("parameters", []):
                    schema = argument["schema"]
                    yield f"{method.upper()} {endpoint}", schema() if isinstance(schema, type) else schema


def test_every_text_a_request_loads_goes_through_a_shared_text_field(app: Flask) -> None:
    """A plain `fields.String` takes NUL and invisible characters: new schemas use app.web.fields."""
    schemas = list(request_schemas(app))
    assert len(schemas) >= 9
    plain = [
        f"{operation} {where}: {type(field).__module__}.{type(field).__qualname__}"
        for operation, schema in schemas
        for where, field in loaded_fields(schema, type(schema).__name__)
        if isinstance(field, ma.fields.String) and type(field).__module__ != shared_fields.__name__
    ]
    assert plain == []


SHARED_TEXT_FIELDS = [
    cls
    for _, cls in inspect.getmembers(shared_fields, inspect.isclass)
    if issubclass(cls, ma.fields.String) and cls.__module__ == shared_fields.__name__
]


@pytest.mark.parametrize(
    "bad", ["\x00", chr(0xD800), chr(0xDFFF)], ids=["nul", "high-surrogate", "low-surrogate"]
)
@pytest.mark.parametrize("field_class", SHARED_TEXT_FIELDS, ids=lambda cls: cls.__name__)
def test_every_shared_text_field_refuses_nul_and_lone_surrogates(
    field_class: type[ma.fields.String], bad: str
) -> None:
    good = "grace@example.com"  # an address, a name, a password, a token: every text field takes it
    field = field_class()
    assert field.deserialize(good) == good
    with pytest.raises(ma.ValidationError):
        field.deserialize(good[:5] + bad + good[5:])


def test_the_shared_text_fields_are_the_ones_documented() -> None:
    names = {cls.__name__ for cls in SHARED_TEXT_FIELDS}
    assert {"SingleLineText", "MultiLineText", "DisplayName", "Password", "TrimmedEmail"} <= names


def test_a_user_agent_with_nul_is_stored_with_its_controls_shown_not_a_500(
    client: FlaskClient, user: Account
) -> None:
    """Headers are text the client chose too: the User-Agent reaches sessions and the audit trail."""
    agent = {"User-Agent": "Agent\x00/1.0\x1b[31m"}
    wrong = client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": "not-the-password"}, headers=agent
    )
    assert wrong.status_code == 401  # its login_failed audit event is written with the agent
    right = client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}, headers=agent
    )
    assert right.status_code == 200
    token = right.get_json()["access_token"]
    sessions = client.get("/api/v1/auth/sessions", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [session["user_agent"] for session in sessions["items"]] == ["Agent\ufffd/1.0\ufffd[31m"]
