"""A keyset page as HTTP: the body's `next_cursor` and the `Link: rel="next"` header that repeats the query."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from flask import url_for

from app.domain.pagination import Page
from app.web.api import header_doc

T = TypeVar("T")

# The 200 response's headers of every listing: `@blp.response(200, PageSchema, headers=NEXT_LINK)`.
NEXT_LINK = {"Link": header_doc('Next page, rel="next" (absent on the last page)', required=False)}


def page_response(
    page: Page[T], endpoint: str, query: Mapping[str, Any], *, public_base_url: str | None
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """`query` is the listing's validated query: its filters are re-serialised, so raw query keys
    never reach url_for (`_external`, `_anchor`...), and the link is never built from the Host
    header: relative, or under PUBLIC_BASE_URL."""
    next_cursor = page.next_cursor.encode() if page.next_cursor else None
    headers: dict[str, str] = {}
    if next_cursor is not None:
        params: dict[str, Any] = {"limit": query["limit"], "cursor": next_cursor}
        params |= {
            name: _query_value(value)
            for name, value in query.items()
            if name not in params and value is not None
        }
        link = (public_base_url or "") + url_for(endpoint, **params)
        headers["Link"] = f'<{link}>; rel="next"'
    return {"items": page.items, "next_cursor": next_cursor}, 200, headers


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
