"""Prometheus metrics: request counts and latency by route template, merged across gunicorn workers.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py does), every worker writes its samples to that
directory and gunicorn's master merges them on METRICS_BIND (metrics_listener.py), so one scrape
sees the whole instance. Only with METRICS_BIND empty (development) does the app port answer
/metrics itself.
"""

from __future__ import annotations

import os

from flask import Flask, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import Engine, event

from app.observability import request_timer

REQUESTS = Counter("keel_http_requests_total", "HTTP requests served", ["method", "route", "status"])
LATENCY = Histogram(
    "keel_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
POOL_IN_USE = Gauge(
    "keel_db_pool_connections_in_use", "Database connections checked out", multiprocess_mode="livesum"
)

OUTBOX_EVENTS = Counter(
    "keel_outbox_messages_total",
    "Outbox messages by event: queued, done, retry, dead, skipped, publish_failed, swept",
    ["event"],
)
OUTBOX_PENDING = Gauge(
    "keel_outbox_pending_messages",
    "Outbox messages waiting to run (the queue depth)",
    multiprocess_mode="mostrecent",
)

MAIL_DROPPED = Counter(
    "keel_mail_dropped_total",
    "Mails not sent because their recipient's hourly mail budget was spent, by template",
    ["template"],
)


def outbox_event(event: str, count: int = 1) -> None:
    OUTBOX_EVENTS.labels(event).inc(count)


def mail_dropped(template: str) -> None:
    MAIL_DROPPED.labels(template).inc()


def register(app: Flask) -> None:
    app.after_request(_observe)


def _observe(response: Response) -> Response:
    elapsed = request_timer.elapsed_seconds()
    if elapsed is None:
        return response
    labels = (request_timer.method_label(), request_timer.route_label(), str(response.status_code))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(elapsed)
    return response


def track_pool(engine: Engine) -> None:
    """Count connections as they leave and return to this worker's pool; livesum adds the workers up."""
    event.listen(engine, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_: POOL_IN_USE.dec())


def exposition() -> Response:
    """Every sample of this instance: merged across workers when they write to a shared directory."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
