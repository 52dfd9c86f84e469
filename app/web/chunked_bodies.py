"""Chunked request bodies held to MAX_CONTENT_LENGTH.

Werkzeug enforces the limit on a chunked body (no Content-Length) only by stopping at it, which
hands the view a truncated body that then fails as malformed JSON (400). This middleware reads
such a body up to one byte past the limit and passes it on, de-chunked, with the Content-Length it
turned out to have, so an oversized one meets Werkzeug's own check and is a 413 like any other.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_READ_SIZE = 64 * 1024


class BoundedChunkedBodies:
    def __init__(self, app: WSGIApplication, *, max_bytes: int) -> None:
        self._app = app
        self._max_bytes = max_bytes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if _is_chunked(environ):
            body = _read_at_most(environ["wsgi.input"], self._max_bytes + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            # Werkzeug ignores Content-Length while Transfer-Encoding says chunked; the body no longer is.
            del environ["HTTP_TRANSFER_ENCODING"]
        return self._app(environ, start_response)


def _is_chunked(environ: WSGIEnvironment) -> bool:
    """A streamed body the server has de-chunked and terminated (gunicorn, Werkzeug's server)."""
    return (
        not environ.get("CONTENT_LENGTH")
        and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        and bool(environ.get("wsgi.input_terminated"))
    )


def _read_at_most(stream: Any, limit: int) -> bytes:
    buffer = bytearray()
    while len(buffer) < limit:
        piece = stream.read(min(_READ_SIZE, limit - len(buffer)))
        if not piece:
            break
        buffer += piece
    return bytes(buffer)
