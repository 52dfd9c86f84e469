"""Security headers on every response, and no caching of anything that carries tokens or user data."""

from __future__ import annotations

from flask import Flask, Response, request

from app.web.paths import is_api_path

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI: scripts and styles from our own files; it injects inline styles and data: images.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_DOCS_PREFIX = "/docs"


def register(app: Flask, *, hsts_seconds: int) -> None:
    def _secure(response: Response) -> Response:
        headers = response.headers
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Content-Security-Policy"] = DOCS_CSP if request.path.startswith(_DOCS_PREFIX) else API_CSP
        if hsts_seconds:
            headers["Strict-Transport-Security"] = f"max-age={hsts_seconds}; includeSubDomains"
        if is_api_path(request.path):
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        _tidy_retry_after(response)
        return response

    app.after_request(_secure)


def _tidy_retry_after(response: Response) -> None:
    """Retry-After belongs to 429 and 503 only, in whole seconds of at least one."""
    value = response.headers.get("Retry-After")
    if value is None:
        return
    if response.status_code not in (429, 503):
        del response.headers["Retry-After"]
    elif value.isdigit() and int(value) < 1:
        response.headers["Retry-After"] = "1"
