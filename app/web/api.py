"""flask-smorest's Api, documenting every response as it is really sent and leaving handling to us.

Routes declare what is particular to them (statuses with the reason codes they can give, their own
headers, an `operationId`); everything every route shares is filled in here once all blueprints
are registered: the problem+json body of each error, the errors any operation can meet, the
headers the global hooks add, and an explicit empty `security` on anonymous operations.
"""

from __future__ import annotations

import http
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from app.web import problem_examples
from app.web.openapi_schemas import KeelMarshmallowPlugin
from app.web.paths import is_api_path
from app.web.problem_codes import PROBLEM_CODES, codes_of
from app.web.problems import PROBLEM_CONTENT_TYPE

_METHODS = ("get", "post", "put", "patch", "delete")


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every error response carries them."""

    type = ma.fields.String(required=True, metadata={"example": "about:blank"})
    # Each error response shows an example of its own status and code (ProblemApi._add_example).
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    # Documented as a reference to the shared `ProblemCode` enum (ProblemApi._register_responses).
    code = ma.fields.String(required=True, validate=ma.validate.OneOf(tuple(PROBLEM_CODES)))
    detail = ma.fields.String(required=True)
    instance = ma.fields.String(required=True, metadata={"example": "/api/v1/auth/register"})
    request_id = ma.fields.String(
        required=True, metadata={"description": "The X-Request-ID of the request, for support and logs"}
    )


# Where webargs reads an input from: the locations a 422's `errors` is keyed by.
LOCATIONS = ("json", "query", "headers", "path", "cookies", "form", "files")

# A field's messages, or (a nested object, a list's items by index, a dict's keys) fields of its own.
FIELD_MESSAGES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Messages by field name: a list of messages for the field itself, or, for a nested "
    "object, a list (by item index) or a dict (by key), the same shape again; `_schema` holds "
    "messages about the object as a whole",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"$ref": "#/components/schemas/FieldMessages"},
        ]
    },
    "example": {"password": ["Shorter than minimum length 8."], "scopes": {"0": ["Must be one of: ..."]}},
}


class ValidationProblemSchema(ProblemSchema):
    """A 422: which inputs were wrong, by location (json, query, headers, path), then field."""

    code = ma.fields.String(
        required=True, validate=ma.validate.OneOf(codes_of(HTTPStatus.UNPROCESSABLE_ENTITY))
    )
    errors = ma.fields.Raw(
        required=True,
        metadata={
            "type": "object",
            "description": "Messages by location, then field (nested fields nest further)",
            "properties": {
                location: {"$ref": "#/components/schemas/FieldMessages"} for location in LOCATIONS
            },
            "additionalProperties": False,
            "example": {"json": {"password": ["Shorter than minimum length 8."]}},
        },
    )


def header_doc(description: str, *, required: bool = True, integer: bool = False) -> dict[str, Any]:
    """A response header as OpenAPI 3.0 requires it: with a schema, or generators refuse the document."""
    return {
        "description": description,
        "required": required,
        "schema": {"type": "integer" if integer else "string"},
    }


_HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": header_doc("The request's id: the caller's own if it sent a valid one, else a new one"),
    "X-RateLimit-Limit": header_doc(
        "Requests allowed in the window of the tightest limit this request counted against "
        "(every /api response while RATELIMIT_ENABLED)",
        required=False,
        integer=True,
    ),
    "X-RateLimit-Remaining": header_doc("Requests left in that window", required=False, integer=True),
    "X-RateLimit-Reset": header_doc("When that window resets, in Unix seconds", required=False, integer=True),
    "Retry-After": header_doc("Seconds to wait before trying again", integer=True),
    "WWW-Authenticate": header_doc("The scheme that would succeed: `Bearer`"),
}
_RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
# Headers an error of this status always carries, whichever route sends it.
_HEADERS_BY_STATUS: dict[int, tuple[str, ...]] = {
    401: ("WWW-Authenticate",),
    429: ("Retry-After",),
    503: ("Retry-After",),
}

# Failures any operation can meet, documented on each so the document tells the whole truth.
_EVERY_OPERATION = (HTTPStatus.INTERNAL_SERVER_ERROR,)
# A body of another type than JSON is refused on every API route, whether or not the operation takes one.
_API_OPERATION = (
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    HTTPStatus.TOO_MANY_REQUESTS,
    HTTPStatus.SERVICE_UNAVAILABLE,
)
# Only an operation that reads its body can find it malformed or too large.
_WITH_BODY = (HTTPStatus.BAD_REQUEST, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
# The shared responses only API operations use: each may carry the rate-limit headers.
_API_ONLY = {status.value for status in (*_API_OPERATION, *_WITH_BODY)}


_PROBLEM_CODE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "enum": list(PROBLEM_CODES),
    "description": "Stable machine-readable reason of a problem: branch on this (docs/api.md lists "
    "when each is sent). The list grows with new features; an unknown value is a newer reason.",
}
# The `instance` of the shared responses' examples: any operation may answer them.
_SHARED_INSTANCE = "/api/v1/users/me"


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


class ProblemApi(Api):  # type: ignore[misc]
    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Any = None, *, spec_kwargs: dict[str, Any] | None = None) -> None:
        # Body-wide rules (`Meta.json_schema`) reach the document through this plugin's converter.
        super().__init__(
            app, spec_kwargs={"marshmallow_plugin": KeelMarshmallowPlugin(), **(spec_kwargs or {})}
        )

    def register_blueprint(self, blp: Any, **options: Any) -> None:
        super().register_blueprint(blp, **options)
        self._complete_operations()

    def _complete_operations(self) -> None:
        """Idempotent: runs after each blueprint, over every operation registered so far."""
        for path, operations in self.spec._paths.items():
            for method, operation in operations.items():
                if method in _METHODS:
                    self._complete(path, operation)

    def _complete(self, path: str, operation: dict[str, Any]) -> None:
        api = is_api_path(path)
        operation.setdefault("security", [])  # anonymous is a decision, so it is written down
        statuses = list(_EVERY_OPERATION)
        if api:
            statuses += _API_OPERATION
        if "requestBody" in operation:
            statuses += _WITH_BODY
        responses: dict[str, Any] = operation.setdefault("responses", {})
        for status in statuses:
            responses.setdefault(str(status.value), self.spec.components.get_ref("response", status.name))
        for code, response in responses.items():
            if "$ref" not in response and code != "default":
                self._complete_response(int(code), response, rate_limited=api)
                if int(code) >= 400:
                    self._add_example(int(code), response, path, operation)

    def _add_example(
        self, status: int, response: dict[str, Any], path: str, operation: dict[str, Any]
    ) -> None:
        """The response's own example: its status and a code it sends, never another response's."""
        code = problem_examples.code_for(status, response.get("description", ""))
        if code is None:
            return
        invalid = self._invalid_input(operation) if status == HTTPStatus.UNPROCESSABLE_ENTITY else None
        example = problem_examples.problem_example(status, code, path, errors_member=invalid)
        response["content"][PROBLEM_CONTENT_TYPE].setdefault("example", example)

    def _invalid_input(self, operation: dict[str, Any]) -> dict[str, Any]:
        """A 422's `errors` as the operation could really get it: its body's first required field
        missing, else its first query parameter or header refused."""
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        reference = body.get("schema", {}).get("$ref", "")
        if reference:
            schema = self.spec.components.schemas[reference.rsplit("/", 1)[-1]]
            field = (schema.get("required") or list(schema.get("properties", {})) or ["_schema"])[0]
            return {"json": {field: ["Missing data for required field."]}}
        for parameter in operation.get("parameters", []):
            if isinstance(parameter, dict) and parameter.get("in") in ("query", "header"):
                location = "query" if parameter["in"] == "query" else "headers"
                integer = parameter.get("schema", {}).get("type") == "integer"
                message = "Not a valid integer." if integer else "Invalid value."  # marshmallow's words
                return {location: {parameter["name"]: [message]}}
        return {}

    def _complete_response(self, status: int, response: dict[str, Any], *, rate_limited: bool) -> None:
        headers: dict[str, Any] = response.setdefault("headers", {})
        names = ["X-Request-ID", *_HEADERS_BY_STATUS.get(status, ())]
        if rate_limited:
            names += _RATE_LIMIT_HEADERS
        for name in names:
            headers.setdefault(name, _ref("headers", name))
        if status >= 400 and "content" not in response:
            schema = "ValidationProblem" if status == 422 else "Problem"
            response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": _ref("schemas", schema)}}

    def _register_error_handlers(self) -> None:
        """Errors are handled centrally by app.web.error_handlers, not by flask-smorest."""

    def _register_responses(self) -> None:
        for name, header in _HEADERS.items():
            self.spec.components.header(name, header)
        self.spec.components.schema("ProblemCode", _PROBLEM_CODE_SCHEMA)
        self.spec.components.schema("FieldMessages", FIELD_MESSAGES_SCHEMA)
        self.spec.components.schema("Problem", schema=ProblemSchema)
        # One enum type for every client: the shared Problem refers to it (a narrower problem, such
        # as ValidationProblem, lists its own few codes inline).
        self.spec.components.schemas["Problem"]["properties"]["code"] = _ref("schemas", "ProblemCode")
        self.spec.components.schema("ValidationProblem", schema=ValidationProblemSchema)
        for status in http.HTTPStatus:
            self._register_problem_response(status.name, status.phrase, status.value)
        self._register_problem_response("DEFAULT_ERROR", "Default error response", None)

    def _register_problem_response(self, name: str, description: str, status: int | None) -> None:
        response: dict[str, Any] = {"description": description}
        if status is None or not (100 <= status < 200 or status in (204, 304)):
            response["schema"] = ValidationProblemSchema if status == 422 else self.ERROR_SCHEMA
        prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
        names = ["X-Request-ID", *_HEADERS_BY_STATUS.get(status or 0, ())]
        if status in _API_ONLY:
            names += _RATE_LIMIT_HEADERS
        response["headers"] = {name: _ref("headers", name) for name in names}
        code = problem_examples.code_for(status, "") if status is not None else None
        if status is not None and code is not None and "content" in response:
            invalid = {"json": {"email": ["Not a valid email address."]}} if status == 422 else None
            response["content"][PROBLEM_CONTENT_TYPE]["example"] = problem_examples.problem_example(
                status, code, _SHARED_INSTANCE, errors_member=invalid
            )
        self.spec.components.response(name, response, lazy=True)

    def _register_pagination_header(self) -> None:
        """Keel pages by keyset cursors in the body (app.web.pages), never by flask-smorest's
        X-Pagination header: registering it would leave an unused `PaginationMetadata` schema."""
