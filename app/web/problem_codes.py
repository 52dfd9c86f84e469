"""Every `code` a problem body can carry, with the one status it comes with: the contract's enum.

The OpenAPI document declares these as the `ProblemCode` enum, so generated clients can branch on a
typed value. tests/unit/test_api_reference.py finds the codes the application sends (its error
classes, the status mapping, the literal codes) and holds this table equal to them, both ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

PROBLEM_CODES: Mapping[str, int] = MappingProxyType(
    {
        "bad_request": 400,
        "invalid_token": 400,
        "unauthorized": 401,
        "invalid_api_key": 401,
        "invalid_credentials": 401,
        "token_expired": 401,
        "token_revoked": 401,
        "token_reused": 401,
        "csrf_token_invalid": 401,
        "mfa_required": 401,
        "invalid_otp": 401,
        "mfa_token_invalid": 401,
        "forbidden": 403,
        "insufficient_scope": 403,
        "account_disabled": 403,
        "email_unverified": 403,
        "invalid_current_password": 403,
        "reauthentication_required": 403,
        "not_found": 404,
        "method_not_allowed": 405,
        "not_acceptable": 406,
        "conflict": 409,
        "email_taken": 409,
        "last_admin": 409,
        "mfa_already_enabled": 409,
        "mfa_not_pending": 409,
        "mfa_not_enabled": 409,
        "api_key_limit_reached": 409,
        "idempotency_key_in_use": 409,
        "precondition_failed": 412,
        "payload_too_large": 413,
        "unsupported_media_type": 415,
        "validation_error": 422,
        "idempotency_key_reused": 422,
        "precondition_required": 428,
        "rate_limited": 429,
        "internal_error": 500,
        "service_unavailable": 503,
    }
)


def codes_of(status: int) -> tuple[str, ...]:
    """The codes a problem of this status can carry, in the table's order."""
    return tuple(code for code, of in PROBLEM_CODES.items() if of == status)
