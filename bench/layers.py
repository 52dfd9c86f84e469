"""Keel's CPU per request, layer by layer, measured in-process: `make bench-layers`.

The production app (production settings, the Redis-backed limiter, JSON access lines, metrics) is
built in this process on a migrated PostgreSQL database, and each path is called many times
straight through its WSGI callable. Every request is timed with the thread's CPU clock; so is each
layer, by wrapping the function that is that layer (its hooks, the JWT guard, the caller lookup, the
view), and a layer's time excludes the layers it calls. What no layer claims is WSGI and Flask
dispatch (werkzeug's request and response objects, routing, the WSGI middlewares).

The total leaves out what happens outside the app: gunicorn's HTTP parsing and socket writes, and
the PostgreSQL and Redis servers' own work. `make bench` reports Keel's server CPU per request from
wrk runs; the difference between the two is that outside part.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# prometheus_client picks its multi-process value class when imported: set up as gunicorn does.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="keel-layers-metrics-"))

import flask_jwt_extended.view_decorators as jwt_views  # noqa: E402
from flask import Flask  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.run import HIGH, PASSWORD, flask_cli  # noqa: E402
from tests.e2e.stack import KEY_SECRETS, app_environment  # noqa: E402
from tests.support import databases  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

DISPATCH = "WSGI + Flask dispatch"
LAYERS_BY_MODULE = {
    "app.web.request_id": "request id",
    "app.observability.request_timer": "request id",
    "flask_limiter._extension": "limiter hit and headers",
    "app.observability.access_log": "access line",
    "app.observability.metrics": "metrics",
    "app.web.security_headers": "security headers",
    "app.web.content_type": "content-type check",
}
ORDER = [
    DISPATCH,
    "request id",
    "JWT guard",
    "caller lookup",
    "limiter hit and headers",
    "view + serialisation",
    "access line",
    "metrics",
    "security headers",
    "content-type check",
]


class Clock:
    """Exclusive CPU time per layer: a layer's time less that of the layers it calls."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = defaultdict(int)
        self._children: list[int] = []

    def timed(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self._children.append(0)
            started = time.thread_time_ns()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.thread_time_ns() - started
                self.totals[label] += elapsed - self._children.pop()
                if self._children:
                    self._children[-1] += elapsed

        return wrapper


def label_of(hook: Callable[..., Any]) -> str:
    function = getattr(hook, "func", hook)  # a functools.partial names its function's module
    module = getattr(function, "__module__", "")
    return LAYERS_BY_MODULE.get(str(module), str(module))


def instrument(app: Flask, clock: Clock) -> None:
    """Wrap each layer's function; what is left unwrapped is dispatch."""
    for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        for scope, hooks in registry.items():
            registry[scope] = [clock.timed(label_of(hook), hook) for hook in hooks]
    for endpoint, view in app.view_functions.items():
        app.view_functions[endpoint] = clock.timed("view + serialisation", view)
    jwt_views.verify_jwt_in_request = clock.timed("JWT guard", jwt_views.verify_jwt_in_request)  # type: ignore[assignment]
    jwt_views.user_lookup = clock.timed("caller lookup", jwt_views.user_lookup)  # type: ignore[assignment]


def request_cpu_ns(app: Flask, environ: dict[str, Any]) -> tuple[int, str]:
    """One request through the WSGI callable, body read and closed: its CPU, and its status."""
    status: list[str] = []

    def start_response(code: str, _headers: Iterable[tuple[str, str]], _exc: Any = None) -> None:
        status.append(code)

    started = time.thread_time_ns()
    body = app(dict(environ), start_response)
    try:
        for _chunk in body:
            pass
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return time.thread_time_ns() - started, status[0]


@contextmanager
def quiet_stderr() -> Any:
    """Access lines are formatted and written as in production, to /dev/null rather than a terminal."""
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(null)
        os.close(saved)


def measure(app: Flask, clock: Clock, environ: dict[str, Any], requests: int) -> dict[str, float]:
    for _ in range(min(200, requests)):
        _cpu, status = request_cpu_ns(app, environ)
        if not status.startswith("200"):
            raise SystemExit(f"{environ['PATH_INFO']} answered {status}")
    clock.totals.clear()
    totals = []
    for _ in range(requests):
        cpu, _status = request_cpu_ns(app, environ)
        totals.append(cpu)
    layers = {label: ns / requests / 1000 for label, ns in clock.totals.items()}
    total = sum(totals) / requests / 1000
    layers[DISPATCH] = total - sum(layers.values())
    layers["total"] = total
    layers["median request"] = statistics.median(totals) / 1000
    return layers


def profile(app: Flask, environ: dict[str, Any], requests: int) -> str:
    """Where a path's CPU goes by function, to choose what to cut (cProfile inflates small calls)."""
    profiler = cProfile.Profile()
    with quiet_stderr():
        profiler.enable()
        for _ in range(requests):
            request_cpu_ns(app, environ)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(80)
    return out.getvalue()


def environ_for(path: str, token: str | None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # The bench's servers sit behind no proxy: the peer is the client, as with wrk.
    environ: dict[str, Any] = EnvironBuilder(
        path=path, headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    ).get_environ()
    return environ


def table(results: dict[str, dict[str, float]]) -> str:
    paths = list(results)
    lines = ["| layer (us CPU per request) | " + " | ".join(paths) + " |", "|---" * (len(paths) + 1) + "|"]
    labels = [label for label in ORDER if any(label in row for row in results.values())]
    labels += sorted(
        {label for row in results.values() for label in row} - set(ORDER) - {"total", "median request"}
    )
    for label in [*labels, "total", "median request"]:
        cells = [f"{results[path].get(label, 0.0):.0f}" for path in paths]
        name = f"**{label}**" if label == "total" else label
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per path")
    parser.add_argument("--seed", type=int, default=1000, help="users to seed")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--profile",
        metavar="PATH",
        help="also run PATH's requests under cProfile and print its 30 costliest functions (own time)",
    )
    args = parser.parse_args()

    server_url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    workdir = Path(tempfile.mkdtemp(prefix="keel-layers-"))
    database = databases.create_pg_database(server_url, prefix="keel_layers")
    redis_server = RedisServer(workdir)
    try:
        databases.migrate(database, KEY_SECRETS)
        redis_server.start()
        env = app_environment(
            database,
            redis_server.url,
            RATELIMIT_DEFAULT=HIGH,
            RATELIMIT_LOGIN_IP=HIGH,
            RATELIMIT_LOGIN_EMAIL=HIGH,
            RATELIMIT_REGISTER=HIGH,
            LOG_LEVEL="INFO",
        )
        flask_cli(env, "users", "seed", "--count", str(args.seed))
        flask_cli(
            env,
            "users",
            "create-admin",
            "--email",
            "layers-admin@example.com",
            "--name",
            "Layers",
            "--password",
            PASSWORD,
        )
        from app.factory import create_app

        app = create_app(env)
        client = app.test_client()
        client.post(
            "/api/v1/auth/register",
            json={"email": "layers-user@example.com", "password": PASSWORD, "name": "Layers"},
        )
        user = client.post(
            "/api/v1/auth/login", json={"email": "layers-user@example.com", "password": PASSWORD}
        ).get_json()
        admin = client.post(
            "/api/v1/auth/login", json={"email": "layers-admin@example.com", "password": PASSWORD}
        ).get_json()
        me = client.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {user['access_token']}"}
        ).get_json()
        clock = Clock()
        instrument(app, clock)
        paths = {
            "GET /health": environ_for("/health", None),
            "GET /api/v1/users/me": environ_for("/api/v1/users/me", user["access_token"]),
            "admin GET /api/v1/users/{id}": environ_for(f"/api/v1/users/{me['id']}", admin["access_token"]),
            "GET /api/v1/users?limit=20": environ_for("/api/v1/users?limit=20", admin["access_token"]),
        }
        results: dict[str, dict[str, float]] = {}
        with quiet_stderr():
            for name, environ in paths.items():
                results[name] = measure(app, clock, environ, args.requests)
        print(table(results))
        if args.profile:
            print(profile(app, paths[args.profile], args.requests))
        args.output.mkdir(parents=True, exist_ok=True)
        at = datetime.now(UTC).isoformat(timespec="seconds").replace(":", "")
        (args.output / f"layers-{at}.json").write_text(
            json.dumps({"requests": args.requests, "layers": results}, indent=2)
        )
        return 0
    finally:
        redis_server.stop()
        databases.drop_pg_database(database)


if __name__ == "__main__":
    raise SystemExit(main())
