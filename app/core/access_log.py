"""One access line per request: what was asked, how it ended, how long it took."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from app.core.request_context import user_id_var

log = logging.getLogger("keel.access")


def register(app: Flask) -> None:
    app.after_request(_log_request)


def _log_request(response: Response) -> Response:
    started = g.get("started_at")
    duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
    rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    log.info(
        "%s %s %s",
        request.method,
        rule,
        response.status_code,
        extra={
            "method": request.method,
            "route": rule,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "client": request.remote_addr,
            "user_id": user_id_var.get(),
        },
    )
    return response
