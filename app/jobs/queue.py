"""The job queue: Dramatiq, on Redis in production, in-process for development and tests without it.

One actor runs outbox messages by id. The web process sends a message's id after the commit that
recorded it; the worker claims the row, runs it, and on failure sends the id again with the
backoff as a Dramatiq delay. A send that never happened (the process died between the commit and
the send, Redis was unreachable) is made good by the worker's sweep (app.jobs.sweep).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, Retries, ShutdownNotifications, TimeLimit
from flask import Flask

from app.jobs.app_context import AppContext
from app.observability import metrics
from app.outbox.service import Outcome

log = logging.getLogger("keel.jobs")

QUEUE = "keel-outbox"
ACTOR = "process_outbox_message"
# A message the handler could not finish in this time is abandoned (its row lock goes with it)
# and retried: an SMTP server that accepts a connection and never answers must not hold a thread.
TIME_LIMIT_MS = 120_000


def make_broker(redis_url: str | None, *, app: Flask, timeout_seconds: float = 0.5) -> dramatiq.Broker:
    """A Redis broker whose every call gives up after `timeout_seconds`: a Redis that stops answering
    makes a send after a commit fail fast (the sweep sends it later), not hold the request until it
    answers again. (The worker's consumer only polls, so the timeout never cuts a wait short.)"""
    middleware = [
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(),
        AppContext(app),
    ]
    if redis_url is None:
        return StubBroker(middleware=middleware)
    client = redis.Redis.from_url(
        redis_url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
    )
    return RedisBroker(client=client, namespace="keel-jobs", middleware=middleware)  # type: ignore[no-untyped-call]


class JobQueue:
    """Publishes outbox ids and runs them; `in_process` starts a worker thread on first use."""

    def __init__(
        self, broker: dramatiq.Broker, *, process: Callable[[uuid.UUID], Outcome], in_process: bool
    ) -> None:
        self.broker = broker
        self._process = process
        self._in_process = in_process
        self._worker: dramatiq.Worker | None = None
        self._lock = threading.Lock()
        self._actor: dramatiq.Actor[Any, Any] = dramatiq.Actor(
            self._run,
            broker=broker,
            actor_name=ACTOR,
            queue_name=QUEUE,
            priority=0,
            # Our own retries are scheduled by the outcome; these cover a crash of the run itself
            # (the database unreachable), with Dramatiq's exponential backoff.
            options={
                "max_retries": 5,
                "min_backoff": 1000,
                "max_backoff": 60_000,
                "time_limit": TIME_LIMIT_MS,
            },
        )

    def publish(self, message_ids: Sequence[uuid.UUID]) -> None:
        """Send after a commit; a failure is logged, not raised: the commit stands and the sweep resends."""
        if not message_ids:
            return
        if self._in_process:
            self._ensure_worker()
        for message_id in message_ids:
            try:
                self._actor.send(str(message_id))
            except Exception:
                log.warning(
                    "job queue unreachable; the sweep will send the message",
                    extra={"outbox_id": str(message_id)},
                )
                metrics.outbox_event("publish_failed")
                return
            metrics.outbox_event("queued")

    def _run(self, message_id: str) -> None:
        outcome = self._process(uuid.UUID(message_id))
        metrics.outbox_event(outcome.status)
        if outcome.retry_in is not None:
            self._actor.send_with_options(
                args=(message_id,), delay=int(outcome.retry_in.total_seconds() * 1000)
            )

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is None:
                # A short poll: the development worker stops within a fiftieth of a second.
                self._worker = dramatiq.Worker(self.broker, worker_threads=1, worker_timeout=20)
                self._worker.start()

    def stop(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._worker.stop(timeout=5000)
                self._worker = None
