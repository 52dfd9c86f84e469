"""One access line per request: what was asked, how it ended, how long it took."""

from __future__ import annotations

import logging
import os

from flask import Flask, Response, request

from app.observability import request_timer
from app.observability.context import user_id_var

log = logging.getLogger("keel.access")


def register(app: Flask) -> None:
    app.after_request(_log_request)


def _log_request(response: Response) -> Response:
    elapsed = request_timer.elapsed_seconds()
    rule = request_timer.route_label()
    log.info(
        "%s %s %s",
        request.method,
        rule,
        response.status_code,
        extra={
            "method": request.method,
            "route": rule,
            "status": response.status_code,
            "duration_ms": None if elapsed is None else round(elapsed * 1000, 2),
            "client": request.remote_addr,
            "user_id": user_id_var.get(),
            # Which worker answered: gunicorn names workers by pid (a timeout, a restart).
            "pid": os.getpid(),
        },
    )
    return response
