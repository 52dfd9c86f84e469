"""One clock and one route label per request, read by the access log and the metrics alike."""

from __future__ import annotations

import time

from flask import Flask, g, request

UNMATCHED_ROUTE = "<unmatched>"
# Label values must come from a fixed set: a client can send any method name and any path.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "OTHER"


def register(app: Flask) -> None:
    """Registered first, so the time covers every other hook."""
    app.before_request(_start)


def _start() -> None:
    g.started_at = time.perf_counter()


def elapsed_seconds() -> float | None:
    """Seconds since the request started; None when it never reached the before-request hooks."""
    started: float | None = g.get("started_at")
    return None if started is None else time.perf_counter() - started


def method_label() -> str:
    return request.method if request.method in KNOWN_METHODS else OTHER_METHOD


def route_label() -> str:
    """The route template, never the raw path: ids in paths would explode label sets and log indexes."""
    return request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
