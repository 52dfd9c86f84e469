"""Compare gunicorn worker classes on a database-bound endpoint, side by side, with wrk.

Usage: .venv/bin/python bench/workers.py [--duration 10] [--connections 32]
Needs PostgreSQL (BENCH_DATABASE_URL, default the local test server) and wrk on PATH.
Prints requests/s and latency percentiles per configuration and the ratio to the baseline (sync).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import wrk_output  # noqa: E402
from tests.e2e.stack import KEY_SECRETS, Instance, app_environment, call  # noqa: E402
from tests.support import databases  # noqa: E402
from tests.support.redis_server import RedisServer, free_port  # noqa: E402

CONFIGS = {
    "sync 2x1": {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "1", "GUNICORN_WORKER_CLASS": "sync"},
    "gthread 2x4": {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4", "GUNICORN_WORKER_CLASS": "gthread"},
    "gthread 2x8": {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "8", "GUNICORN_WORKER_CLASS": "gthread"},
}
LUA = """wrk.headers["Authorization"] = "Bearer {token}"\n"""


def wrk(port: int, token: str, duration: int, connections: int, workdir: Path) -> dict[str, float]:
    script = workdir / "auth.lua"
    script.write_text(LUA.format(token=token))
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/api/v1/users/me",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    ).stdout
    return wrk_output.parse(out)


class DelayProxy:
    """A TCP relay in front of PostgreSQL adding a fixed delay each way, like a network hop."""

    def __init__(self, target_port: int, delay_ms: float) -> None:
        self.port = free_port()
        self.target_port = target_port
        self.delay = delay_ms / 1000
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await asyncio.sleep(self.delay)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", self.port), self._loop
        ).result()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--db-latency-ms", type=float, default=0.0, help="one-way delay added in front of PostgreSQL"
    )
    args = parser.parse_args()
    server_url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    workdir = Path(tempfile.mkdtemp(prefix="keel-bench-"))
    database = databases.create_pg_database(server_url, prefix="keel_bench")
    redis_server = RedisServer(workdir)
    results: dict[str, dict[str, float]] = {}
    try:
        databases.migrate(database, KEY_SECRETS)
        redis_server.start()
        app_database = database
        if args.db_latency_ms:
            url = sa.make_url(database)
            proxy = DelayProxy(url.port or 5432, args.db_latency_ms)
            proxy.start()
            app_database = url.set(port=proxy.port).render_as_string(hide_password=False)
        for name, settings in CONFIGS.items():
            env = app_environment(app_database, redis_server.url, RATELIMIT_ENABLED="false", **settings)
            instance = Instance(name.replace(" ", "-"), free_port(), workdir, env)
            instance.start()
            try:
                email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
                password = "Quiet-Harbour-Lantern-42"
                call(
                    instance.port,
                    "POST",
                    "/api/v1/auth/register",
                    {"email": email, "password": password, "name": "B"},
                )
                token = call(
                    instance.port, "POST", "/api/v1/auth/login", {"email": email, "password": password}
                ).json()
                wrk(instance.port, token["access_token"], 2, args.connections, workdir)  # warm-up
                results[name] = wrk(
                    instance.port, token["access_token"], args.duration, args.connections, workdir
                )
            finally:
                instance.stop()
            time.sleep(1)
    finally:
        redis_server.stop()
        databases.drop_pg_database(database)
    baseline = results["sync 2x1"]["rps"]
    for figures in results.values():
        figures["ratio_to_sync"] = round(figures["rps"] / baseline, 2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
