"""Steady concurrent load on a served app while a test breaks something under it: every answer is kept
as the bytes a client saw, so a gunicorn- or werkzeug-made HTML 500 counts as much as a JSON one."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.concurrency import HOST

TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Answer:
    label: str
    status: int
    headers: dict[str, str]
    raw: bytes
    at: float
    seconds: float

    @property
    def body(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    @property
    def is_json(self) -> bool:
        content_type = self.headers.get("Content-Type", "")
        if not self.raw:
            return True
        return content_type in {"application/json", "application/problem+json"}

    def describe(self) -> str:
        return f"{self.label} -> {self.status} {self.headers.get('Content-Type')} {self.raw[:300]!r}"


def send(
    port: int,
    label: str,
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    connection = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT_SECONDS)
    started = time.monotonic()
    try:
        payload = None if body is None else json.dumps(body)
        sent = {"Content-Type": "application/json"} if payload is not None else {}
        connection.request(method, path, body=payload, headers={**sent, **(headers or {})})
        response = connection.getresponse()
        raw = response.read()
        now = time.monotonic()
        return Answer(label, response.status, dict(response.getheaders()), raw, now, now - started)
    finally:
        connection.close()


@dataclass
class Load:
    """`clients` threads, each calling `step(client, n)` in a loop until `stop()`."""

    clients: int
    step: Callable[[int, int], Answer]
    answers: list[Answer] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Load:
        for client in range(self.clients):
            thread = threading.Thread(target=self._run, args=(client,), name=f"load-{client}", daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def _run(self, client: int) -> None:
        n = 0
        while not self._stop.is_set():
            try:
                answer = self.step(client, n)
            except BaseException as error:  # a connection the server dropped is a failure too
                with self._lock:
                    self.failures.append(error)
                return
            with self._lock:
                self.answers.append(answer)
            n += 1

    def stop(self) -> list[Answer]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=TIMEOUT_SECONDS + 5)
        assert not any(thread.is_alive() for thread in self._threads), "a load client is stuck"
        assert not self.failures, f"a load client failed: {self.failures[0]!r}"
        with self._lock:
            return list(self.answers)


def unexpected(answers: list[Answer], allowed: set[int]) -> list[str]:
    """Every answer that is not an allowed status, not JSON, or a 503 without Retry-After."""
    wrong = []
    for answer in answers:
        if answer.status not in allowed or not answer.is_json:
            wrong.append(answer.describe())
        elif answer.status == 503 and not answer.headers.get("Retry-After", "").isdigit():
            wrong.append(f"no Retry-After: {answer.describe()}")
    return wrong
