"""flask-smorest's Api, documenting errors as problem+json and leaving handling to us."""

from __future__ import annotations

import http
from typing import Any

import marshmallow as ma
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from app.core.problems import PROBLEM_CONTENT_TYPE


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


class ProblemApi(Api):  # type: ignore[misc]
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """Errors are handled centrally by app.core.error_handlers, not by flask-smorest."""

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
