"""flask-smorest's Api, documenting errors as problem+json and leaving handling to us."""

from __future__ import annotations

import http
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from app.web.paths import is_api_path
from app.web.problems import PROBLEM_CONTENT_TYPE


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every error response carries them."""

    type = ma.fields.String(metadata={"example": "about:blank"})
    title = ma.fields.String(metadata={"example": "Unprocessable Content"})
    status = ma.fields.Integer(metadata={"example": 422})
    code = ma.fields.String(metadata={"description": "Stable machine-readable reason"})
    detail = ma.fields.String()
    instance = ma.fields.String(metadata={"example": "/api/v1/auth/register"})
    request_id = ma.fields.String()
    errors = ma.fields.Dict(
        metadata={"description": "Validation errors by location (json, query, headers, path), then field"}
    )


def header_doc(description: str) -> dict[str, Any]:
    """A response header as OpenAPI 3.0 requires it: with a schema, or generators refuse the document."""
    return {"description": description, "schema": {"type": "string"}}


# Failures any operation can meet, documented on each so the spec tells the whole truth.
_EVERY_OPERATION = (HTTPStatus.INTERNAL_SERVER_ERROR,)
# A body of another type than JSON is refused on every API route, whether or not the operation takes one.
_API_OPERATION = (
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    HTTPStatus.TOO_MANY_REQUESTS,
    HTTPStatus.SERVICE_UNAVAILABLE,
)
# Only an operation that reads its body can find it malformed or too large.
_WITH_BODY = (HTTPStatus.BAD_REQUEST, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)


class ProblemApi(Api):  # type: ignore[misc]
    ERROR_SCHEMA = ProblemSchema

    def register_blueprint(self, blp: Any, **options: Any) -> None:
        super().register_blueprint(blp, **options)
        self._document_common_errors()

    def _document_common_errors(self) -> None:
        for path, operations in self.spec._paths.items():
            for method, operation in operations.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                statuses = list(_EVERY_OPERATION)
                if is_api_path(path):
                    statuses += _API_OPERATION
                if "requestBody" in operation:
                    statuses += _WITH_BODY
                responses = operation.setdefault("responses", {})
                for status in statuses:
                    responses.setdefault(
                        str(status.value), self.spec.components.get_ref("response", status.name)
                    )

    def _register_error_handlers(self) -> None:
        """Errors are handled centrally by app.web.error_handlers, not by flask-smorest."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)
