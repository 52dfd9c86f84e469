"""/metrics on a port of its own, served by gunicorn's master: the app port never answers it.

Every worker writes its samples to PROMETHEUS_MULTIPROC_DIR; this listener, a thread in the master,
merges them at each scrape. The ingress reaches only the app port, so metrics cannot be published
by a route added to it, and a scrape is answered even while every worker is busy. Nothing here
creates a metric value: the master only reads what the workers wrote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.config import host_and_port

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer


def serve(bind: str) -> WSGIServer:
    """Listen on `bind` (host:port) in a daemon thread; OSError when the address cannot be bound."""
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    host, port = host_and_port(bind)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    server, _ = start_http_server(port, addr=host, registry=registry)
    return server
