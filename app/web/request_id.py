"""Request ids: kept from upstream (nginx, a client) when safe to log, generated otherwise, echoed back."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

from app.observability.context import request_id_var, user_id_var

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def accept_or_generate(candidate: str | None) -> str:
    """Keep an upstream id when it is safe to log; otherwise make one."""
    if candidate and _VALID_REQUEST_ID.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


def register(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_stamp)
    app.teardown_request(_clear)


def _start() -> None:
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
