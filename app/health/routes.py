"""Liveness, readiness and (where metrics have no port of their own) metrics."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from werkzeug.exceptions import NotFound

from app.composition import container
from app.health import checks
from app.health.schemas import HealthSchema, ReadinessSchema
from app.observability import metrics
from app.observability.shutdown import shutdown_started
from app.web.blueprint import Blueprint
from app.web.problems import problem

blp = Blueprint("health", __name__, description="Liveness and readiness probes")


@blp.route("/health")
class Health(MethodView):
    @blp.doc(operationId="getHealth")
    @blp.response(200, HealthSchema)
    def get(self) -> dict[str, str]:
        """Report that the process is alive; touches no dependency."""
        return {"status": "ok"}


@blp.route("/ready")
class Ready(MethodView):
    @blp.doc(operationId="getReadiness")
    @blp.response(200, ReadinessSchema)
    @blp.alt_response(503, description="A required dependency is down, or shutdown has begun")
    def get(self) -> dict[str, Any] | Response:
        """Report whether this instance should receive traffic."""
        passed = checks.run_all(container().readiness_checks)
        results = {
            "database": "ok" if passed["database"] else "down",
            # Redis only shares rate limits; without it the service still serves, so it never fails readiness.
            "redis": "skipped" if "redis" not in passed else ("ok" if passed["redis"] else "degraded"),
        }
        if passed["database"]:
            # Without a key no access token can be issued: `flask --app wsgi keys rotate` makes one.
            results["signing_key"] = "ok" if _can_sign() else "missing"
        if shutdown_started.is_set():
            results["shutdown"] = "in_progress"
        if results["database"] != "ok" or results.get("signing_key") != "ok" or shutdown_started.is_set():
            return problem(
                503,
                "service_unavailable",
                "This instance is not ready to serve traffic.",
                headers={"Retry-After": "5"},
                extra={"checks": results},
            )
        return {"status": "ok", "checks": results}


def _can_sign() -> bool:
    built = container()
    try:
        return built.keys.signer(built.clock()) is not None
    except Exception:  # a database that failed since its check: not ready either way
        return False


@blp.route("/metrics")
class Metrics(MethodView):
    @blp.doc(operationId="getMetrics")
    @blp.response(
        200,
        {"type": "string"},
        content_type="text/plain",
        description="Prometheus text exposition format",
        example="# HELP keel_http_requests_total HTTP requests served\n# TYPE keel_http_requests_total counter\n",
    )
    @blp.alt_response(
        404,
        description="`not_found`: metrics are served on a port of their own (`METRICS_BIND`), "
        "never on the port the ingress reaches",
    )
    def get(self) -> Response:
        """Expose request counts, latencies and pool figures for Prometheus (not for the public)."""
        if container().settings.metrics_bind is not None:
            raise NotFound()  # answered exactly as an unknown route is
        return metrics.exposition()
