"""Prometheus metrics by route template, never on the app port; OpenTelemetry only when asked for."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from prometheus_client import REGISTRY, generate_latest

from app.observability import tracing
from app.observability.shutdown import shutdown_started

ROOT = Path(__file__).resolve().parents[2]


def scrape() -> str:
    """What the metrics listener serves (in one process, the default registry holds every sample)."""
    return generate_latest(REGISTRY).decode()


def _count(text: str, method: str, route: str, status: int) -> float:
    pattern = rf'keel_http_requests_total{{method="{method}",route="{re.escape(route)}",status="{status}"}} ([0-9.e+]+)'
    match = re.search(pattern, text)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_requests_by_route_template_never_raw_path(client: FlaskClient) -> None:
    before = scrape()
    target = f"/api/v1/users/{uuid.uuid4()}"
    for _ in range(3):
        client.get(target)
    client.get("/no/such/route")
    text = scrape()
    template = "/api/v1/users/<uuid:user_id>"
    assert _count(text, "GET", template, 401) - _count(before, "GET", template, 401) == 3
    assert target not in text
    assert _count(text, "GET", "<unmatched>", 404) >= 1
    assert 'keel_http_request_duration_seconds_bucket{le="0.005",method="GET"' in text
    assert "keel_db_pool_connections_in_use" in text


def test_the_app_port_serves_no_metrics(client: FlaskClient) -> None:
    """Metrics have their own listener (METRICS_BIND): nothing the ingress reaches can publish them."""
    response = client.get("/metrics")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert "keel_http_requests_total" not in response.get_data(as_text=True)
    unknown = client.get("/no-such-route")
    assert response.get_json() | {"instance": None, "request_id": None} == unknown.get_json() | {
        "instance": None,
        "request_id": None,
    }


class TestWithoutAMetricsPort:
    """METRICS_BIND empty (development's default): `make run` has its metrics on its one port."""

    @pytest.fixture
    def app_overrides(self) -> dict[str, Any]:
        return {"METRICS_BIND": ""}

    def test_the_app_port_serves_metrics(self, client: FlaskClient) -> None:
        client.get("/health")
        response = client.get("/metrics")
        assert response.status_code == 200
        assert response.content_type.startswith("text/plain")
        assert re.search(
            r'keel_http_requests_total\{method="GET",route="/health",status="200"\} [1-9]',
            response.get_data(as_text=True),
        )


def test_ready_fails_once_shutdown_has_begun(client: FlaskClient) -> None:
    shutdown_started.set()
    try:
        response = client.get("/ready")
    finally:
        shutdown_started.clear()
    assert response.status_code == 503
    body = response.get_json()
    assert body["code"] == "service_unavailable"
    assert body["checks"]["shutdown"] == "in_progress"
    assert body["checks"]["database"] == "ok"


def test_tracing_is_off_without_otel_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert tracing.enabled() is False
    assert tracing.current_trace_id() is None


_TRACED = """
import json, logging, io
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from app.observability import tracing
assert tracing.enabled()
exporter = InMemorySpanExporter()
tracing.configure_from_environment(exporter=exporter)
import sys
from app import create_app
app = create_app({"APP_ENV": "test", "DATABASE_URL": "sqlite://"})
# The production log handler writes to whatever sys.stderr is: read what it writes.
stream = sys.stderr = io.StringIO()
app.test_client().post("/api/v1/auth/login", json={"email": "a@example.com", "password": "whatever-pass"})
sys.stderr = sys.__stderr__
lines = [json.loads(l) for l in stream.getvalue().splitlines() if l.startswith("{")]
line = [l for l in lines if l["logger"] == "keel.access"][-1]
spans = exporter.get_finished_spans()
print(json.dumps({"spans": [s.name for s in spans], "trace_id": line.get("trace_id"),
                  "span_trace_ids": sorted({format(s.context.trace_id, "032x") for s in spans})}))
"""


def test_tracing_spans_flask_and_sqlalchemy_and_stamps_log_lines() -> None:
    env = {**os.environ, "OTEL_TRACES_EXPORTER": "console", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", _TRACED],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    import json

    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "POST /api/v1/auth/login" in report["spans"]
    assert any(name.startswith("SELECT") for name in report["spans"])
    assert report["trace_id"] in report["span_trace_ids"]


def _series(client: FlaskClient) -> set[str]:
    text = scrape()
    return {line.split(" ")[0] for line in text.splitlines() if line.startswith("keel_http_requests_total{")}


def test_made_up_methods_and_paths_add_a_bounded_number_of_series(client: FlaskClient) -> None:
    before = _series(client)
    for n in range(120):
        client.open(f"/nothing-{n}", method=f"XMETHOD{n:04d}")
        client.get(f"/api/v1/no-such-thing/{n}")
        client.open(f"/api/v1/users/{n}", method="BREW")
    added = _series(client) - before
    assert not any("XMETHOD" in series or "BREW" in series or "no-such-thing" in series for series in added)
    assert len(added) <= 6, sorted(added)
    assert any('method="OTHER"' in series and 'route="<unmatched>"' in series for series in _series(client))
