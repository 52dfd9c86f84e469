"""OpenTelemetry tracing, opt-in through the standard OTEL_* variables and the `otel` extra.

Off by default, and then free: nothing is imported and no hook is installed. On, it traces Flask
requests and SQLAlchemy queries and puts the trace id on every log line.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from typing import Any

log = logging.getLogger("keel.tracing")

_configured = threading.Event()
_lock = threading.Lock()


def enabled() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    wanted = bool(exporter) or any(
        os.environ.get(name) for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )
    return wanted and importlib.util.find_spec("opentelemetry.sdk") is not None


def configure_from_environment(exporter: Any = None) -> bool:
    """Install the tracer provider once per process (gunicorn: after the fork, in each worker)."""
    if _configured.is_set():
        return True
    if not enabled() and exporter is None:
        return False
    with _lock:
        if _configured.is_set():
            return True
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "keel")})
        provider = TracerProvider(resource=resource)
        if exporter is not None:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        else:
            provider.add_span_processor(BatchSpanProcessor(_exporter_from_environment()))
        trace.set_tracer_provider(provider)
        _configured.set()
    log.info("tracing enabled")
    return True


def _exporter_from_environment() -> Any:
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def instrument(app: Any, engine: Any) -> bool:
    """Trace this app's requests and queries, if tracing is configured in this process."""
    if not _configured.is_set():
        return False
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    FlaskInstrumentor().instrument_app(app, excluded_urls="health,ready,metrics")  # type: ignore[no-untyped-call]
    SQLAlchemyInstrumentor().instrument(engine=engine)
    return True


def current_trace_id() -> str | None:
    """The active trace id in hex, for log lines; None when tracing is off."""
    if not _configured.is_set():
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
