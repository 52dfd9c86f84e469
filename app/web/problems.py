"""The one builder of RFC 9457 problem+json responses."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from types import MappingProxyType
from typing import Any

from flask import Response, current_app, request

from app.observability.context import current_request_id

PROBLEM_CONTENT_TYPE = "application/problem+json"
# RFC 9110: every 401 names the scheme that would succeed.
BEARER_CHALLENGE: Mapping[str, str] = MappingProxyType({"WWW-Authenticate": "Bearer"})


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
        "instance": request.path,
        "request_id": current_request_id(),
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    response = current_app.response_class(
        current_app.json.dumps(body), status=status, mimetype=PROBLEM_CONTENT_TYPE
    )
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
