"""Real concurrent HTTP: an app behind a threaded WSGI server on loopback, and contenders released
together by a barrier, so they meet in the database or the limit storage, not one after another."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask
from werkzeug.serving import make_server

from tests.support.accounts import Account

T = TypeVar("T")

HOST = "127.0.0.1"
HTTP_TIMEOUT_SECONDS = 20.0
START_TIMEOUT_SECONDS = 20.0
JOIN_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None


@dataclass(frozen=True)
class Server:
    app: Flask
    port: int

    def request(
        self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
    ) -> Reply:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=HTTP_TIMEOUT_SECONDS)
        try:
            payload = None if body is None else json.dumps(body)
            sent = {"Content-Type": "application/json"} if payload is not None else {}
            connection.request(method, path, body=payload, headers={**sent, **(headers or {})})
            response = connection.getresponse()
            raw = response.read()
            parsed = json.loads(raw) if raw else None
            return Reply(status=response.status, headers=dict(response.getheaders()), body=parsed)
        finally:
            connection.close()

    def login(self, account: Account) -> dict[str, str]:
        reply = self.request(
            "POST", "/api/v1/auth/login", body={"email": account.email, "password": account.password}
        )
        assert reply.status == 200, reply.body
        return reply.body  # type: ignore[no-any-return]


@contextmanager
def serve(app: Flask) -> Iterator[Server]:
    """`app` behind a real threaded HTTP server on an ephemeral loopback port."""
    wsgi_server = make_server(HOST, 0, app, threaded=True)
    thread = threading.Thread(target=wsgi_server.serve_forever, name="test-server", daemon=True)
    thread.start()
    try:
        yield Server(app=app, port=wsgi_server.server_port)
    finally:
        wsgi_server.shutdown()
        thread.join(timeout=JOIN_TIMEOUT_SECONDS)
        wsgi_server.server_close()
    assert not thread.is_alive(), "the HTTP server did not stop"


def run_together(count: int, action: Callable[[int], T]) -> list[T]:
    """Run `action(0..count-1)` on `count` threads released at the same instant; return in order."""
    barrier = threading.Barrier(count, timeout=START_TIMEOUT_SECONDS)
    results: list[T | None] = [None] * count
    failures: list[BaseException] = []

    def contender(index: int) -> None:
        try:
            barrier.wait()
            results[index] = action(index)
        except BaseException as error:
            failures.append(error)

    threads = [
        threading.Thread(target=contender, args=(i,), name=f"contender-{i}", daemon=True)
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a contender is still running"
    if failures:
        raise failures[0]
    assert all(result is not None for result in results)
    return [result for result in results if result is not None]
