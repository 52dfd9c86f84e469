"""SIGTERM: gunicorn stops accepting, finishes every request it has, fails readiness, exits 0."""

from __future__ import annotations

import http.client
import signal
import threading
import time
from pathlib import Path

from tests.e2e.stack import Instance, app_environment
from tests.support.redis_server import RedisServer, free_port


def _slow_requests(port: int, count: int) -> list[http.client.HTTPConnection]:
    """Open connections and send requests whose bodies are still arriving: in flight at the server."""
    connections = []
    for _ in range(count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.putrequest("POST", "/api/v1/auth/login")
        connection.putheader("Content-Type", "application/json")
        body = b'{"email": "nobody@example.com", "password": "whatever-pass"}'
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        connection.send(body[:10])
        connections.append(connection)
    return connections


def test_sigterm_finishes_in_flight_requests_and_exits_zero(tmp_path: Path, e2e_database: str) -> None:
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    instance = Instance("solo", free_port(), tmp_path, app_environment(e2e_database, redis_server.url))
    try:
        instance.start()
        in_flight = _slow_requests(instance.port, 4)
        time.sleep(0.5)
        assert instance.process is not None
        instance.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # New connections are refused once shutdown has begun.
        refused = False
        probe = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=2)
        try:
            probe.request("GET", "/health")
            probe.getresponse().read()
        except OSError:
            refused = True
        finally:
            probe.close()
        assert refused
        statuses = []
        for connection in in_flight:
            connection.send(b'{"email": "nobody@example.com", "password": "whatever-pass"}'[10:])
            response = connection.getresponse()
            statuses.append(response.status)
            response.read()
            connection.close()
        assert statuses == [401, 401, 401, 401]
        assert instance.process.wait(timeout=30) == 0
    finally:
        instance.stop()
        redis_server.stop()


def test_readiness_fails_once_shutdown_has_begun(tmp_path: Path, e2e_database: str) -> None:
    """A keep-alive client (a load balancer) asking /ready after SIGTERM is told to go away."""
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    env = app_environment(e2e_database, redis_server.url, WEB_CONCURRENCY="1", GUNICORN_THREADS="2")
    instance = Instance("draining", free_port(), tmp_path, env)
    try:
        instance.start()
        connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=10)
        connection.request("GET", "/ready")
        first = connection.getresponse()
        first.read()
        assert first.status == 200
        held = _slow_requests(instance.port, 1)[0]
        assert instance.process is not None
        instance.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        statuses: list[int] = []

        def ask() -> None:
            try:
                connection.request("GET", "/ready")
                reply = connection.getresponse()
                reply.read()
                statuses.append(reply.status)
            except OSError:
                statuses.append(0)

        asker = threading.Thread(target=ask)
        asker.start()
        asker.join(timeout=10)
        held.send(b'{"email": "nobody@example.com", "password": "whatever-pass"}'[10:])
        held.getresponse().read()
        held.close()
        connection.close()
        # Either the worker already closed the idle connection, or it answered 503: never "ready".
        assert statuses in ([503], [0])
        assert instance.process.wait(timeout=30) == 0
    finally:
        instance.stop()
        redis_server.stop()
