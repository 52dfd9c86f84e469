"""The example problem body each documented error response shows (Swagger UI, generated docs).

An example names a code its response really sends: the first code the response's description
names in backticks that belongs to its status, else the status's own code from the error handler's
mapping (`unauthorized` for a 401 without a token, `validation_error` for a 422, ...).
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from app.domain import errors
from app.web.error_handlers import HTTP_CODES
from app.web.problem_codes import PROBLEM_CODES

_NAMED = re.compile(r"`(\w+)`")
REQUEST_ID = "5cf1368f00df4d88b0eff6652a03dfb1"


def code_for(status: int, description: str) -> str | None:
    """The code the example of a response of `status` shows; None for a status without one."""
    names: list[str] = _NAMED.findall(description)
    for name in names:
        if PROBLEM_CODES.get(name) == status:
            return name
    default = HTTP_CODES.get(status)
    return default[0] if default else None


def _details() -> dict[str, str]:
    """Each code's detail as the application words it (first the domain errors, then the mapping)."""
    found: dict[str, str] = {}
    pending: list[type[errors.DomainError]] = [errors.DomainError]
    while pending:
        cls = pending.pop(0)
        found.setdefault(cls.code, cls.default_detail)
        pending += cls.__subclasses__()
    for code, detail in HTTP_CODES.values():
        found[code] = detail
    return found


def problem_example(
    status: int, code: str, instance: str, *, errors_member: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": _details().get(code, HTTPStatus(status).description),
        "instance": instance,
        "request_id": REQUEST_ID,
    }
    if errors_member is not None:
        body["errors"] = errors_member
    return body
