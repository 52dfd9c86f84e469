"""The one place that turns every failure into the contract's problem+json."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc as sa_exc
from flask import Flask, Response
from werkzeug.exceptions import HTTPException, InternalServerError

from app.domain import errors
from app.web.problems import BEARER_CHALLENGE, problem

log = logging.getLogger("keel.errors")

DB_RETRY_AFTER_SECONDS = "5"

_DOMAIN_STATUS: dict[type[errors.DomainError], int] = {
    errors.BadRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PreconditionFailed: 412,
    errors.InvalidInput: 422,
    errors.TooManyRequests: 429,
    errors.ServiceUnavailable: 503,
}

HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "Authentication is required."),
    403: ("forbidden", "You are not allowed to do this."),
    404: ("not_found", "The requested resource does not exist."),
    405: ("method_not_allowed", "The method is not allowed for this resource."),
    406: ("not_acceptable", "The requested representation is not available."),
    409: ("conflict", "The request conflicts with the current state of the resource."),
    412: ("precondition_failed", "The resource has changed since you read it."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Request bodies must be JSON (Content-Type: application/json)."),
    422: ("validation_error", "The request is invalid."),
    428: ("precondition_required", "This request must be conditional."),
    429: ("rate_limited", "Too many requests; slow down."),
    500: ("internal_error", "An unexpected error occurred."),
    503: ("service_unavailable", "The service is temporarily unavailable."),
}


def register(app: Flask) -> None:
    app.register_error_handler(errors.DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(sa_exc.OperationalError, handle_database_unavailable)
    app.register_error_handler(sa_exc.InterfaceError, handle_database_unavailable)
    app.register_error_handler(sa_exc.TimeoutError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)


def status_of(error: errors.DomainError) -> int:
    return status_for(type(error))


def status_for(kind: type[errors.DomainError]) -> int:
    """The status every error of this class is answered with."""
    for cls in kind.__mro__:
        if cls in _DOMAIN_STATUS:
            return _DOMAIN_STATUS[cls]
    return 400


def handle_domain_error(error: errors.DomainError) -> Response:
    status = status_of(error)
    headers = BEARER_CHALLENGE if status == 401 else None
    if status == 503:
        headers = {"Retry-After": DB_RETRY_AFTER_SECONDS}
    if isinstance(error, errors.TooManyRequests):
        headers = {"Retry-After": str(error.retry_after_seconds)}
    if isinstance(error, errors.InvalidInput):
        return problem(
            status,
            error.code,
            "The request is invalid.",
            errors={error.location: {error.field: [error.detail]}},
        )
    return problem(status, error.code, error.detail, headers=headers, extra=error.members())


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        return handle_unexpected(error)
    code, detail = HTTP_CODES.get(status, ("error", HTTPStatus(status).phrase))
    data: dict[str, Any] = getattr(error, "data", None) or {}
    headers = _headers_of(error, data)
    if status == 401:
        headers.update(BEARER_CHALLENGE)
    validation = data.get("messages") or data.get("errors")
    if status == 422:
        return problem(status, code, "The request is invalid.", errors=validation or {}, headers=headers)
    if status == 400 and validation:
        detail = _unreadable_body(validation)
    return problem(status, code, detail, headers=headers)


def _unreadable_body(messages: Any) -> str:
    """The body parser's reason (app.web.blueprint: not JSON, not UTF-8, nested too deep)."""
    reasons = messages.get("json") if isinstance(messages, dict) else None
    if isinstance(reasons, list) and reasons and isinstance(reasons[0], str):
        return reasons[0]
    return "The request body is not valid JSON."


def _headers_of(error: HTTPException, data: dict[str, Any]) -> dict[str, str]:
    """Keep the protocol headers an exception carries (Allow, Retry-After), drop the rest."""
    keep = {"allow", "retry-after", "www-authenticate"}
    headers = {k: v for k, v in error.get_headers() if k.lower() in keep}
    headers.update({k: v for k, v in (data.get("headers") or {}).items() if k.lower() in keep})
    return headers


def handle_database_unavailable(error: Exception) -> Response:
    log.error("database unavailable: %s", type(error).__name__, exc_info=error)
    return problem(
        503,
        "service_unavailable",
        "The database is unavailable; try again shortly.",
        headers={"Retry-After": DB_RETRY_AFTER_SECONDS},
    )


def handle_unexpected(error: Exception) -> Response:
    original = getattr(error, "original_exception", None) if isinstance(error, InternalServerError) else error
    if isinstance(original, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return handle_database_unavailable(original)
    log.error("unhandled exception", exc_info=original or error)
    return problem(500, "internal_error", "An unexpected error occurred.")
