"""Conditional requests on versioned resources, once for every feature: each representation carries
its `ETag`, a read answers a current `If-None-Match` with 304, and a write turns `If-Match` into the
domain's `ExpectedVersion`. A route names its resource; the header rules and their documentation
live here, so no feature re-derives them.
"""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from flask import Response, request

from app.domain.versions import ExpectedVersion, Versioned
from app.web import etags
from app.web.api import header_doc

V = TypeVar("V", bound=Versioned)

# Routes spell it out as tuple[Row, int, dict[str, str]]: mypy checks a bound on a generic alias
# before the model's columns are typed, and refuses the model.
_Tagged = tuple[V, int, dict[str, str]]

IF_NONE_MATCH: dict[str, Any] = {
    "in": "header",
    "name": "If-None-Match",
    "schema": {"type": "string"},
    "required": False,
}


def etag_header(noun: str) -> dict[str, dict[str, Any]]:
    """The `ETag` response header, documented for a resource called `noun`."""
    return {"ETag": header_doc(f"Entity tag of the {noun}")}


def if_match(noun: str) -> dict[str, Any]:
    """The optional `If-Match` parameter of a write: a stale tag is a 412, never a lost update."""
    return {
        "in": "header",
        "name": "If-Match",
        # A blank or comma-only list names no tag, so nothing can match it: 412 whatever the state.
        "schema": {"type": "string", "minLength": 1, "pattern": r"[^\s,]"},
        "required": False,
        "description": f"Apply only if the {noun}'s current ETag (or `*`) matches, else 412: an entity "
        'tag is quoted (`"3-9f86d081884c7d65"`); whether it is current only the service can tell',
    }


def not_modified(noun: str) -> dict[str, Any]:
    """`blp.alt_response(304, **not_modified(noun))`: what a read answers a current If-None-Match."""
    return {"description": "Not modified: the If-None-Match ETag is current", "headers": etag_header(noun)}


def tagged(resource: V, status: int = 200, **headers: str) -> _Tagged[V]:
    """A view's answer with the resource's `ETag` among its headers."""
    return resource, status, {"ETag": etags.etag_for(resource.id, resource.version), **headers}


def tagged_or_not_modified(resource: V) -> _Tagged[V] | Response:
    """A read: 304 with the tag when the client's `If-None-Match` (compared weakly) is current."""
    answer = tagged(resource)
    candidates = etags.parse_header(request.headers.get("If-None-Match"))
    if candidates and etags.matches(answer[2]["ETag"], candidates, weak=True):
        return Response(status=304, headers=answer[2])
    return answer


def expected_version(resource_id: UUID) -> ExpectedVersion | None:
    """The request's `If-Match` as the service reads it; None when absent or `*`."""
    return etags.expected_version(request.headers.get("If-Match"), resource_id)
