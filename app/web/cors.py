"""CORS for the configured browser origins: credentials for those only, caches kept right.

Every /api answer varies by `Origin` once CORS is on: a shared cache that stored the answer to one
origin (or to a request without `Origin`) must not hand it to another, whose grant differs. flask-cors
adds `Vary: Origin` only when it grants an origin and more than one is configured, so the hook here
adds it to every /api answer instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask, Response, request
from flask_cors import CORS

from app.web.paths import API_PREFIX, is_api_path

ALLOW_HEADERS = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-CSRF-TOKEN",
    "X-Request-ID",
]
EXPOSE_HEADERS = [
    "ETag",
    "Idempotent-Replayed",
    "Link",
    "Location",
    "Retry-After",
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
]
PREFLIGHT_MAX_AGE_SECONDS = 600


def register(app: Flask, origins: Sequence[str]) -> None:
    """Grant these exact origins on /api; without any, CORS stays off and nothing varies by Origin."""
    if not origins:
        return
    app.after_request(_vary_on_origin)
    CORS(
        app,
        resources={f"{API_PREFIX}*": {"origins": list(origins)}},
        supports_credentials=True,
        allow_headers=ALLOW_HEADERS,
        expose_headers=EXPOSE_HEADERS,
        max_age=PREFLIGHT_MAX_AGE_SECONDS,
        vary_header=False,  # _vary_on_origin adds it to every /api answer, granted or not
        always_send=False,  # no Origin, no grant: else every configured origin is listed to anyone
    )


def is_preflight() -> bool:
    """A browser's CORS preflight: an OPTIONS request asking which method it may send."""
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


def _vary_on_origin(response: Response) -> Response:
    if is_api_path(request.path):
        response.vary.add("Origin")
    return response
