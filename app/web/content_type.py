"""Bodies must be JSON: webargs would read any other content type as an empty body and answer 422."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import UnsupportedMediaType

from app.web.paths import is_api_path


def register(app: Flask) -> None:
    app.before_request(_require_json_body)


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _require_json_body() -> None:
    if is_api_path(request.path) and _has_body() and not request.is_json:
        raise UnsupportedMediaType()
