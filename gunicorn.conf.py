"""gunicorn settings for Keel, driven by the environment (README, Deployment)."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from app.config import ConfigError, load_settings

try:
    _settings = load_settings()
except ConfigError as error:  # refuse to start before any worker is forked
    print(f"keel: refusing to start: {error}", file=sys.stderr)
    raise SystemExit(2) from None


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# glibc's mallopt parameter for the number of malloc arenas.
M_ARENA_MAX = -8


def one_malloc_arena() -> bool:
    """Let every thread of the master and its workers allocate from one glibc arena.

    A password hash takes 19 MiB (argon2id); with an arena per thread, each of a worker's threads
    keeps its own hash's memory after the login ends (+36% RSS per worker under logins in
    docs/benchmarks.md). In one arena, freed hash memory goes back to the system once more than
    one hash's worth lies free, for no measured CPU cost (Python code allocates through its own
    pools, and the hash runs without the GIL, allocating once). MALLOC_ARENA_MAX, when set, wins;
    a libc without mallopt (musl, macOS) is left alone. Returns whether the setting was made."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    return bool(mallopt(M_ARENA_MAX, 1))


one_malloc_arena()  # in the master, before any worker or thread: forked workers inherit it


bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = _settings.web_concurrency  # WEB_CONCURRENCY, else 2 x cores (at most 8); checked with REDIS_URL
# gthread: a database-bound API spends its requests waiting on PostgreSQL round trips; threads
# overlap those waits (and hold nginx's keep-alive connections) without gevent's monkey-patching.
# Measured in bench/workers.md with 1 ms added each way in front of PostgreSQL: 2 workers x 4
# threads served 2.33x, and x 8 threads 3.13x, the requests/s of 2 sync workers (on loopback,
# with no wait to overlap, all three were within noise: 0.82-1.14x).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
# Below Kubernetes' terminationGracePeriodSeconds (40 s, after a 5 s preStop pause).
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)
# Longer than nginx's upstream keepalive_timeout (60 s), so nginx, not gunicorn, closes idle connections.
keepalive = _int("GUNICORN_KEEPALIVE", 75)
# Recycling a worker is a safety net against slow leaks, not free: a fresh worker pays its imports,
# connections and caches again (about 2 s of one core here). Every 2,000 requests, that was about
# 1 ms of CPU per request under load (bench/run.py); every 200,000 it is about 10 us.
max_requests = _int("GUNICORN_MAX_REQUESTS", 200_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 20_000)
# Peers whose forwarding is believed: FORWARDED_ALLOW_IPS (loopback unless set; `*` only if written
# out). gunicorn itself takes nothing from them: no scheme headers (below), and no SCRIPT_NAME or
# PATH_INFO headers, which would let a client move the app under another path. The client address
# and scheme come from the app's ProxyFix, applied to the same peers only (app.web.proxies).
forwarded_allow_ips = ",".join(_settings.forwarded_allow_ips)
forwarder_headers = ""
proxy_allow_ips = forwarded_allow_ips
preload_app = False  # every worker opens its own database and Redis connections after the fork
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108 - heartbeat files in memory
control_socket_disable = True
# The app writes one JSON access line per request (route template, status, duration, user id and
# request id). GUNICORN_ACCESS_LOG=- adds gunicorn's own line too (with the request id it answered).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# Without GUNICORN_ACCESS_LOG, gunicorn does not even build its access line (3% of a worker's CPU).
logger_class = "app.observability.gunicorn_logging.KeelGunicornLogger"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
# The scheme comes from X-Forwarded-Proto through ProxyFix (TRUSTED_PROXIES hops); gunicorn's own
# scheme headers would let any client answer "X-Forwarded-Ssl: on" with a 400 HTML page.
secure_scheme_headers: dict[str, str] = {}
errorlog = "-"
loglevel = _settings.log_level.lower()
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "{asctime}{levelname}{name}{message}",
            "style": "{",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
    },
    "root": {"level": loglevel.upper(), "handlers": ["error"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["error"], "level": loglevel.upper(), "propagate": False},
        # With a logconfig_dict gunicorn always emits access records; they are shown only when asked for.
        "gunicorn.access": {
            "handlers": ["access"] if accesslog else [],
            "level": "INFO" if accesslog else "CRITICAL",
            "propagate": False,
        },
    },
}

# Prometheus multiprocess mode: every worker writes samples here, and the master serves them merged
# on METRICS_BIND (app.observability.metrics_listener), a port of its own: the app port has no /metrics.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="keel-metrics-")
_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server: Any) -> None:
    """Start from an empty metrics directory: samples of a previous run's workers are stale."""
    path = Path(_metrics_dir)
    if path.is_dir():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)


_metrics_listener: Any = None


def when_ready(server: Any) -> None:
    """Serve /metrics from the master on METRICS_BIND; the app keeps serving if that address is taken."""
    global _metrics_listener
    if _settings.metrics_bind is None:
        return
    from app.observability.metrics_listener import serve

    try:
        _metrics_listener = serve(_settings.metrics_bind)
    except OSError as error:
        server.log.error("metrics not served: cannot listen on %s (%s)", _settings.metrics_bind, error)
    else:
        server.log.info("metrics served on http://%s/metrics", _settings.metrics_bind)


def on_exit(server: Any) -> None:
    """Remove the metrics directory this process created for itself."""
    if _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)


def post_fork(server: Any, worker: Any) -> None:
    """Per-worker resources are created after the fork; nothing with a socket crosses it."""
    from app.observability import tracing

    if _metrics_listener is not None:  # the master's listening socket: only the master answers on it
        _metrics_listener.socket.close()

    tracing.configure_from_environment()


def post_worker_init(worker: Any) -> None:
    """On SIGTERM, fail readiness at once so load balancers drain this instance, then stop gracefully."""
    from app.observability.shutdown import shutdown_started

    original = worker.handle_exit

    def handle_exit(sig: int, frame: Any) -> None:
        shutdown_started.set()
        original(sig, frame)

    signal.signal(signal.SIGTERM, handle_exit)


def child_exit(server: Any, worker: Any) -> None:
    """Forget a dead worker's live gauges so a scrape does not report them forever."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
