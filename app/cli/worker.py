"""`flask --app wsgi worker`: the job worker, a separate process beside the web servers.

Dramatiq's worker runs the jobs (threads consuming the Redis queue, delayed retries, acks); this
command adds the outbox sweep, the scheduled signing-key rotation, a heartbeat file for the liveness probe, and stops cleanly on
SIGTERM: jobs in hand finish, then the process exits.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import click
import dramatiq
import prometheus_client
from flask import current_app

from app.composition import container

log = logging.getLogger("keel.jobs")


@click.command("worker")
@click.option("--threads", type=click.IntRange(min=1, max=64), default=4, show_default=True)
@click.option(
    "--heartbeat-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("/tmp/keel-worker-heartbeat"),  # noqa: S108 - a liveness marker, not data
    show_default=True,
    help="Touched after every sweep; a liveness probe checks its age.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(min=1, max=65535),
    default=None,
    help="Serve the worker's Prometheus metrics (outbox counters, queue depth) on this port.",
)
@click.option(
    "--metrics-host",
    default="127.0.0.1",
    show_default=True,
    help="The address --metrics-port listens on (0.0.0.0 where Prometheus scrapes the pod).",
)
def worker_command(threads: int, heartbeat_file: Path, metrics_port: int | None, metrics_host: str) -> None:
    """Run background jobs (mail delivery, reset requests) until SIGTERM or SIGINT."""
    built = container()
    if built.settings.redis_url is None:
        raise click.ClickException(
            "REDIS_URL is not set: the worker consumes the Redis queue. Without Redis (development), "
            "`flask run` processes jobs in-process and needs no worker."
        )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("worker stopping", extra={"signal": signal.Signals(signum).name})
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worker = dramatiq.Worker(built.jobs.broker, worker_threads=threads, worker_timeout=1000)
    sweeper = built.sweeper()
    sweeper_heartbeat = _heartbeat(heartbeat_file)
    rotation = built.key_rotation()

    def sweep() -> None:
        with app.app_context():
            sweeper.run(heartbeat=sweeper_heartbeat)

    def rotate() -> None:
        with app.app_context():
            rotation.run()

    if metrics_port is not None:
        prometheus_client.start_http_server(metrics_port, addr=metrics_host)
    worker.start()
    sweeping = threading.Thread(target=sweep, name="outbox-sweep", daemon=True)
    sweeping.start()
    rotating = threading.Thread(target=rotate, name="key-rotation", daemon=True)
    rotating.start()
    log.info("worker started", extra={"threads": threads})
    while not stopping.wait(1.0):
        pass
    sweeper.stop()
    rotation.stop()
    worker.stop(timeout=30_000)
    sweeping.join(timeout=10)
    rotating.join(timeout=10)
    log.info("worker stopped")


def _heartbeat(path: Path) -> Callable[[], None]:
    def beat() -> None:
        path.write_text(str(int(time.time())))

    return beat
