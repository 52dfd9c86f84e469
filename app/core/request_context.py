"""Per-request identity: the request id and the authenticated user, readable from any layer."""

from __future__ import annotations

import re
import time
import uuid
from contextvars import ContextVar

from flask import Flask, Response, g, request

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)


def accept_or_generate(candidate: str | None) -> str:
    """Keep an upstream id (nginx, a client) when it is safe to log; otherwise make one."""
    if candidate and _VALID_REQUEST_ID.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


def set_user_id(user_id: str | None) -> None:
    user_id_var.set(user_id)


def register(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_stamp)
    app.teardown_request(_clear)


def _start() -> None:
    g.started_at = time.perf_counter()
    g.request_id = accept_or_generate(request.headers.get(REQUEST_ID_HEADER))
    request_id_var.set(g.request_id)
    user_id_var.set(None)


def _stamp(response: Response) -> Response:
    request_id = g.get("request_id") or accept_or_generate(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _clear(_exc: BaseException | None) -> None:
    request_id_var.set(None)
    user_id_var.set(None)
