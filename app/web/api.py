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

from app.web.openapi_schemas import KeelMarshmallowPlugin
from app.web.paths import is_api_path
from app.web.problems import PROBLEM_CONTENT_TYPE

_METHODS = ("get", "post", "put", "patch", "delete")


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every error response carries them."""

    type = ma.fields.String(required=True, metadata={"example": "about:blank"})
    title = ma.fields.String(required=True, metadata={"example": "Conflict"})
    status = ma.fields.Integer(required=True, metadata={"example": 409})
    code = ma.fields.String(
        required=True,
        metadata={
            "description": "Stable machine-readable reason (see the error table)",
            "example": "email_taken",
        },
    )
    detail = ma.fields.String(required=True)
    instance = ma.fields.String(required=True, metadata={"example": "/api/v1/auth/register"})
    request_id = ma.fields.String(
        required=True, metadata={"description": "The X-Request-ID of the request, for support and logs"}
    )


class ValidationProblemSchema(ProblemSchema):
    """A 422: which inputs were wrong, by location (json, query, headers, path), then field."""

    errors = ma.fields.Dict(
        required=True,
        keys=ma.fields.String(),
        metadata={
            "description": "Messages by location, then field (nested fields nest further)",
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
                    self._complete(is_api_path(path), operation)

    def _complete(self, api: bool, operation: dict[str, Any]) -> None:
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
        self.spec.components.schema("Problem", schema=ProblemSchema)
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
        self.spec.components.response(name, response, lazy=True)
