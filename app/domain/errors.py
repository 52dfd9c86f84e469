"""Domain errors: what services raise, with a stable code and no knowledge of HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every expected failure; `code` is the contract's machine-readable reason."""

    code: ClassVar[str] = "error"
    default_detail: ClassVar[str] = "The request could not be completed."

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)

    def members(self) -> Mapping[str, Any]:
        """Extra members of the problem document (RFC 9457 extensions); none by default."""
        return {}


class BadRequest(DomainError):
    """Well-formed input that cannot be acted on, such as a one-time token that is wrong or spent."""

    code = "bad_request"
    default_detail = "The request cannot be acted on."


class Unauthorized(DomainError):
    code = "unauthorized"
    default_detail = "Authentication is required."


class Forbidden(DomainError):
    code = "forbidden"
    default_detail = "You are not allowed to do this."


class NotFound(DomainError):
    code = "not_found"
    default_detail = "The resource does not exist."


class Conflict(DomainError):
    code = "conflict"
    default_detail = "The request conflicts with the current state of the resource."


class PreconditionFailed(DomainError):
    code = "precondition_failed"
    default_detail = "The resource has changed since you read it."


class InvalidInput(DomainError):
    """A rule that a schema cannot express was broken by otherwise well-formed input."""

    code = "validation_error"
    default_detail = "The request is invalid."

    def __init__(self, detail: str | None = None, *, field: str, location: str = "json") -> None:
        super().__init__(detail)
        self.field = field
        self.location = location


class TooManyRequests(DomainError):
    """A budget ran out; the caller may try again after `retry_after_seconds`."""

    code = "rate_limited"
    default_detail = "Too many requests; slow down."

    def __init__(self, detail: str | None = None, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = max(1, retry_after_seconds)


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    default_detail = "A dependency is unavailable; try again shortly."
