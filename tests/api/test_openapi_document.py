"""The served OpenAPI document is valid OpenAPI 3.0 and exact: what it says of each operation is true."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import OpenAPIV30SpecValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from uuid6 import uuid7

from app.auth.schemas import LOGIN_UNAUTHORIZED_CODES
from app.domain.pagination import Cursor
from app.web.problem_codes import PROBLEM_CODES, codes_of
from tests.api.api_keys.helpers import create_key, key_headers
from tests.support.accounts import Tokens

METHODS = ("get", "post", "put", "patch", "delete")
PROBLEM = "application/problem+json"


def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = spec["components"][kind][name]
    return node


# A fresh value for a path parameter, by the (type, format) its schema documents.
_SAMPLES: dict[tuple[str | None, str | None], Callable[[], str]] = {
    ("string", "uuid"): lambda: str(uuid7()),
    ("integer", None): lambda: "1",
    ("string", None): lambda: "sample",
}
_PARAMETER = re.compile(r"\{(\w+)\}")


def concrete(spec: dict[str, Any], path: str, method: str, known: Mapping[str, str] | None = None) -> str:
    """The path with every parameter filled: a known value if given, else a fresh one of its schema."""
    item = spec["paths"][path]
    declared = [resolve(spec, p) for p in (*item.get("parameters", ()), *item[method].get("parameters", ()))]
    schemas = {p["name"]: resolve(spec, p["schema"]) for p in declared if p["in"] == "path"}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if known and name in known:
            return known[name]
        assert name in schemas, f"{method.upper()} {path}: path parameter {name} is undocumented"
        kind = (schemas[name].get("type"), schemas[name].get("format"))
        assert kind in _SAMPLES, f"{method.upper()} {path}: no sample for {name} of {kind}"
        return _SAMPLES[kind]()

    return _PARAMETER.sub(fill, path)


def test_the_served_document_validates_against_openapi_3_0(client: FlaskClient) -> None:
    spec = document(client)
    assert spec["openapi"].startswith("3.0")
    errors = [
        f"{list(e.absolute_path)}: {e.message[:200]}" for e in OpenAPIV30SpecValidator(spec).iter_errors()
    ]
    assert errors == []


def test_every_operation_has_a_unique_id_a_tag_a_summary_and_its_security(client: FlaskClient) -> None:
    spec = document(client)
    ids = [operation.get("operationId") for _, _, operation in operations(spec)]
    assert None not in ids
    assert len(ids) == len(set(ids))
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        assert operation.get("tags"), where
        assert operation.get("summary"), where
        assert isinstance(operation.get("security"), list), where


def test_the_security_documented_is_the_security_enforced(client: FlaskClient) -> None:
    """Anonymous, a secured operation answers 401; an open one never does."""
    spec = document(client)
    for path, method, operation in operations(spec):
        response = client.open(concrete(spec, path, method), method=method.upper(), json={})
        where = f"{method.upper()} {path} -> {response.status_code}"
        if operation["security"]:
            assert response.status_code == 401, where
            assert response.headers["WWW-Authenticate"] == "Bearer", where
        else:
            assert response.status_code != 401, where


def test_every_error_response_is_a_problem_with_the_shared_schema(client: FlaskClient) -> None:
    spec = document(client)
    problem = spec["components"]["schemas"]["Problem"]
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status == "default" or int(status) < 400:
                continue
            content = resolve(spec, response)["content"]
            assert list(content) == [PROBLEM], f"{method} {path} {status}"
            if status == "422":
                assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/ValidationProblem"}
                continue
            # The shared Problem, or a problem of its own that adds members (login's `mfa_required`).
            declared = resolve(spec, content[PROBLEM]["schema"])
            assert content[PROBLEM]["schema"]["$ref"].endswith("Problem"), f"{method} {path} {status}"
            assert set(problem["required"]) <= set(declared["required"]), f"{method} {path} {status}"
            for name, member in problem["properties"].items():
                if name == "code" and declared is not problem:  # a narrower problem lists fewer codes
                    assert set(_codes_of(spec, declared)) < set(PROBLEM_CODES), f"{method} {path} {status}"
                    continue
                assert declared["properties"][name] == member, f"{method} {path} {status} {name}"


def test_the_validation_problem_adds_errors_to_the_problem(client: FlaskClient) -> None:
    schemas = document(client)["components"]["schemas"]
    problem, validation = schemas["Problem"], schemas["ValidationProblem"]
    assert set(validation["required"]) - set(problem["required"]) == {"errors"}
    assert {"type", "title", "status", "code", "detail", "instance", "request_id"} <= set(problem["required"])


def _headers(spec: dict[str, Any], response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resolve(spec, header) for name, header in resolve(spec, response).get("headers", {}).items()
    }


def test_every_documented_response_header_has_a_schema(client: FlaskClient) -> None:
    spec = document(client)
    missing = [
        (path, method, status, name)
        for path, method, operation in operations(spec)
        for status, response in operation["responses"].items()
        for name, header in _headers(spec, response).items()
        if "schema" not in header and "content" not in header
    ]
    assert missing == []


def test_the_headers_the_hooks_add_are_documented_where_they_occur(client: FlaskClient) -> None:
    spec = document(client)
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            headers = _headers(spec, response)
            where = f"{method.upper()} {path} {status}"
            assert headers["X-Request-ID"]["required"] is True, where
            if status in ("401",):
                assert "WWW-Authenticate" in headers, where
            if status in ("429", "503"):
                assert headers["Retry-After"]["required"] is True, where
            if path.startswith("/api/") and status.startswith("2"):
                assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(headers)
    paths = spec["paths"]
    created = paths["/api/v1/users"]["post"]["responses"]["201"]
    assert {"Location", "ETag"} <= set(_headers(spec, created))
    assert "Link" in _headers(spec, paths["/api/v1/users"]["get"]["responses"]["200"])
    assert "Link" in _headers(spec, paths["/api/v1/audit-events"]["get"]["responses"]["200"])
    assert "ETag" in _headers(spec, paths["/api/v1/users/{user_id}"]["get"]["responses"]["304"])


def test_every_cursor_parameter_is_typed_as_a_string(client: FlaskClient) -> None:
    """A generated client types the cursor it hands back; an empty schema would make it `any`. Its
    shape is the one Cursor.encode gives, and an issued cursor matches it."""
    spec = client.get("/openapi.json").get_json()
    issued = Cursor(created_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), id=uuid7()).encode()
    cursors = [
        parameter["schema"]
        for operations in spec["paths"].values()
        for method, operation in operations.items()
        if method != "parameters"
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "cursor"
    ]
    assert len(cursors) >= 2
    for schema in cursors:
        assert schema["type"] == "string", schema
        assert schema["minLength"] == 1, schema
        assert re.search(schema["pattern"], issued), schema
        assert not re.search(schema["pattern"], issued + "A"), "one character past a Base64 quantum"


def test_every_request_body_has_an_example_the_service_accepts(
    client: FlaskClient, admin_tokens: Tokens
) -> None:
    """Swagger UI's "Try it out" starts from these: each one passes validation as it stands."""
    spec = document(client)
    me = client.get("/api/v1/users/me", headers=admin_tokens.headers).get_json()
    checked = 0
    for path, method, operation in operations(spec):
        if "requestBody" not in operation:
            continue
        example = operation["requestBody"]["content"]["application/json"].get("example")
        assert example, f"{method.upper()} {path} has no request example"
        url = concrete(spec, path, method, known={"user_id": me["id"]})
        headers = admin_tokens.headers if operation["security"] else {}
        response = client.open(url, method=method.upper(), json=example, headers=headers)
        assert response.status_code != 422, f"{method.upper()} {path}: {response.get_json()}"
        checked += 1
    assert checked >= 7


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


def test_rules_about_a_whole_body_reach_the_document(client: FlaskClient) -> None:
    """`Meta.json_schema` keywords, merged by the spec's converter: JSON Schema says them, so must the document."""
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    assert schemas["UserUpdate"]["minProperties"] == 1
    assert schemas["UserUpdate"]["additionalProperties"] is False
    assert schemas["MfaVerify"]["oneOf"] == [{"required": ["code"]}, {"required": ["recovery_code"]}]


def test_if_match_must_name_something(client: FlaskClient) -> None:
    """A blank If-Match names no tag, so it is a 412 whatever the state: the document says so."""
    spec = client.get("/openapi.json").get_json()
    for method in ("patch", "delete"):
        operation = spec["paths"]["/api/v1/users/{user_id}"][method]
        (schema,) = [p["schema"] for p in operation["parameters"] if p["name"] == "If-Match"]
        assert schema["minLength"] == 1
        assert not re.search(schema["pattern"], " , ")
        assert re.search(schema["pattern"], '"3-9f86d081884c7d65"')


# --- Typed errors: the code enum, the validation messages, each response's own example ------------


def _codes_of(spec: dict[str, Any], problem: dict[str, Any]) -> list[str]:
    """The codes a problem schema allows: its own narrowed enum, or the shared ProblemCode."""
    codes: list[str] = resolve(spec, problem["properties"]["code"])["enum"]
    return codes


def _schema_errors(spec: dict[str, Any], pointer: str, instance: Any) -> list[str]:
    """What is wrong with `instance` by the document's schema at `pointer`, references followed."""
    uri = "urn:keel:openapi"
    registry: Registry[Any] = Registry().with_resource(uri, Resource.from_contents(spec, DRAFT4))
    validator = OAS30Validator({"$ref": f"{uri}#{pointer}"}, registry=registry)
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(instance)]


def _escape(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def test_the_code_enum_is_the_code_table_and_narrower_problems_list_their_own(client: FlaskClient) -> None:
    schemas = document(client)["components"]["schemas"]
    assert schemas["ProblemCode"] == {
        "type": "string",
        "enum": list(PROBLEM_CODES),
        "description": schemas["ProblemCode"]["description"],
    }
    assert schemas["ValidationProblem"]["properties"]["code"]["enum"] == list(codes_of(422))
    assert schemas["MfaRequiredProblem"]["properties"]["code"]["enum"] == list(LOGIN_UNAUTHORIZED_CODES)
    assert set(LOGIN_UNAUTHORIZED_CODES) <= set(codes_of(401))


def _error_responses(spec: dict[str, Any]) -> list[tuple[str, str, int, str, dict[str, Any]]]:
    """(where, pointer to its media type, status, ...) for every error response of every operation."""
    found = []
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status == "default" or int(status) < 400:
                continue
            if "$ref" in response:
                pointer = _escape("components", "responses", response["$ref"].rsplit("/", 1)[-1])
            else:
                pointer = _escape("paths", path, method, "responses", status)
            found.append(
                (f"{method.upper()} {path} {status}", pointer, int(status), path, resolve(spec, response))
            )
    return found


def test_every_error_response_shows_an_example_of_its_own_status_and_a_code_it_sends(
    client: FlaskClient,
) -> None:
    """Swagger UI shows each response's own example, never one 409 for every error."""
    spec = document(client)
    shown = set()
    for where, pointer, status, _, response in _error_responses(spec):
        media = response["content"][PROBLEM]
        example = media.get("example")
        assert example is not None, f"{where}: no example"
        assert example["status"] == status, where
        assert PROBLEM_CODES.get(example["code"]) == status, f"{where}: {example['code']}"
        assert example["code"] in _codes_of(spec, resolve(spec, media["schema"])), where
        assert _schema_errors(spec, f"{pointer}/content/{_escape(PROBLEM)[1:]}/schema", example) == [], where
        shown.add((status, example["code"]))
    assert {(401, "invalid_credentials"), (403, "insufficient_scope"), (409, "email_taken")} <= shown
    login = spec["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert login["401"]["content"][PROBLEM]["example"]["code"] == "invalid_credentials"


def test_every_operation_that_refuses_api_keys_declares_it(client: FlaskClient) -> None:
    """An access-token-only operation answers an API key 403 `insufficient_scope` (an unknown key
    401 `invalid_api_key`): tests/api/api_keys/test_api_key_callers.py proves it; here, it is said."""
    spec = document(client)
    refusing = [
        (path, method, operation)
        for path, method, operation in operations(spec)
        if operation["security"] == [{"bearerAuth": []}]
    ]
    assert len(refusing) >= 15
    for path, method, operation in refusing:
        where = f"{method.upper()} {path}"
        assert "`insufficient_scope`" in operation["responses"]["403"]["description"], where
        assert "`invalid_api_key`" in operation["responses"]["401"]["description"], where


def test_no_component_is_unused(client: FlaskClient) -> None:
    """Every component is reached from an operation, through any chain of references."""
    spec = document(client)
    reached: set[str] = set()
    pending: list[Any] = [spec["paths"]]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference not in reached:
                reached.add(reference)
                kind, name = reference.split("/")[-2:]
                pending.append(spec["components"][kind][name])
            pending += node.values()
        elif isinstance(node, list):
            pending += node
    declared = {
        f"#/components/{kind}/{name}"
        for kind, members in spec["components"].items()
        if kind != "securitySchemes"
        for name in members
    }
    assert declared - reached == set()
    schemes = {
        name for _, _, operation in operations(spec) for need in operation["security"] for name in need
    }
    assert schemes == set(spec["components"]["securitySchemes"])


def test_every_parameter_has_a_type(client: FlaskClient) -> None:
    """A generated client types each argument: a parameter without a type would be `Any`."""
    spec = document(client)
    untyped = []
    for path, item in spec["paths"].items():
        for method, operation in [("*", item), *[(m, o) for m, o in item.items() if m in METHODS]]:
            for parameter in (resolve(spec, p) for p in operation.get("parameters", ())):
                schema = parameter.get("schema", {})
                if not ({"type", "$ref", "enum"} & set(schema)):
                    untyped.append(f"{method.upper()} {path} {parameter['name']}")
    assert untyped == []


def test_the_servers_are_relative(client: FlaskClient) -> None:
    """A generated client takes its base URL from its user, never a host baked into the document."""
    assert document(client)["servers"] == [{"url": "/", "description": "This Keel instance"}]


def test_metrics_declare_their_text_body(client: FlaskClient) -> None:
    ok = document(client)["paths"]["/metrics"]["get"]["responses"]["200"]
    assert ok["content"]["text/plain"]["schema"] == {"type": "string"}


_VALIDATION = _escape("components", "schemas", "ValidationProblem")


def test_real_validation_problems_validate_against_the_declared_schema(
    client: FlaskClient, admin_tokens: Tokens
) -> None:
    """Each shape a 422's `errors` takes: a field, a list's items by index, the whole body
    (`_schema`), an unknown field, a query parameter, a header, and a rule the service checks."""
    spec = document(client)
    auth = admin_tokens.headers
    key = create_key(client, admin_tokens, "users:read")["key"]
    first = {"email": "first@example.com", "password": "plum-orbit-lantern-42", "name": "F"}
    assert (
        client.post("/api/v1/auth/register", json=first, headers={"Idempotency-Key": "k1"}).status_code == 201
    )
    answers = {
        "list items": client.post(
            "/api/v1/api-keys", json={"name": "n", "scopes": ["nope", 5]}, headers=auth
        ),
        "whole body": client.post("/api/v1/auth/login", json=[1]),
        "unknown field": client.post("/api/v1/auth/login", json={"email": "a@example.com", "x": 1}),
        "query": client.get("/api/v1/users?limit=many", headers=key_headers(key)),
        "header": client.post(
            "/api/v1/auth/register",
            json={"email": "new@example.com", "password": "plum-orbit-lantern-42", "name": "N"},
            headers={"Idempotency-Key": '"'},
        ),
        "reused key": client.post(
            "/api/v1/auth/register", json={**first, "name": "G"}, headers={"Idempotency-Key": "k1"}
        ),
        "service rule": client.post(
            "/api/v1/auth/register", json={"email": "c@example.com", "password": "password123", "name": "C"}
        ),
    }
    for case, response in answers.items():
        body = response.get_json()
        assert response.status_code == 422, (case, body)
        assert _schema_errors(spec, _VALIDATION, body) == [], (case, body)
    assert answers["list items"].get_json()["errors"]["json"]["scopes"].keys() == {"0", "1"}
    assert "_schema" in answers["whole body"].get_json()["errors"]["json"]
    assert "Idempotency-Key" in answers["header"].get_json()["errors"]["headers"]
    assert answers["reused key"].get_json()["code"] == "idempotency_key_reused"


def test_the_validation_schema_refuses_what_no_handler_sends(client: FlaskClient) -> None:
    """The schema is a contract, not `object`: a bare string, an unknown location or a number fails."""
    spec = document(client)
    problem = {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "code": "validation_error",
        "detail": "The request is invalid.",
        "instance": "/api/v1/auth/login",
        "request_id": "r",
    }
    assert _schema_errors(spec, _VALIDATION, {**problem, "errors": {"json": {"a": {"b": ["deep"]}}}}) == []
    for errors in ({"json": "bad"}, {"body": {"a": ["x"]}}, {"json": {"a": [1]}}, {"json": {"a": "x"}}):
        assert _schema_errors(spec, _VALIDATION, {**problem, "errors": errors}) != [], errors
    assert _schema_errors(spec, _VALIDATION, {**problem, "code": "email_taken", "errors": {}}) != []
