"""Keel against the bare-Flask floor, side by side, with wrk: `make bench` (see docs/benchmarks.md).

Seeds PostgreSQL with `flask --app wsgi users seed`, starts Keel under its own gunicorn.conf.py with
production settings (the Redis-backed limiter on, limits too high to trigger) and bench/baseline.py
under the same gunicorn settings, then runs wrk against each in alternating pairs and reports the
median of the per-pair ratios (Keel / floor), p50 and p99 latency, and RSS per worker.

With `--fsft CHECKOUT` it also runs full-stack-fastapi-template's backend (bench/fsft.py) and
measures its `GET /api/v1/users/me` beside Keel's the same way (ratio Keel / FSFT).

On a 2-core machine the servers, PostgreSQL and Redis are pinned to core 0 and wrk to core 1; a
pair is run again when other processes used more than a tenth of a core meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.domain.pagination import Cursor  # noqa: E402
from bench import fsft, wrk_output  # noqa: E402
from tests.e2e.stack import KEY_SECRETS, app_environment, call  # noqa: E402
from tests.support import databases  # noqa: E402
from tests.support.redis_server import RedisServer, free_port  # noqa: E402

PASSWORD = "Quiet-Harbour-Lantern-42"
HIGH = "1000000 per minute"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
INTERFERENCE_SHARE = 0.10
MAX_RETRIES = 2
FSFT_TARGET = fsft.TARGET
SAME_WORK = "same-work floor (bench/same_work.py)"
STACK = "stack floor (bench/stack_floor.py)"


def gunicorn_bind(port: int) -> list[str]:
    return ["-b", f"127.0.0.1:{port}"]


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    workdir: Path
    cpus: str | None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    bind: Callable[[int], list[str]] = gunicorn_bind
    cwd: Path = ROOT
    health: str = "/health"

    def start(self) -> None:
        prefix = ["taskset", "-c", self.cpus] if self.cpus else []
        env = {**self.env, "BIND": f"127.0.0.1:{self.port}"}
        log = (self.workdir / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [*prefix, *self.command, *self.bind(self.port)],
            cwd=self.cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.wait_until_answering(timeout=60)

    def wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.workdir / self.name}.log")
            try:
                if call(self.port, "GET", self.health, timeout=1).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name}: nothing answers {self.health} on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def pids(self) -> list[int]:
        """The master and its workers."""
        assert self.process is not None
        return [self.process.pid, *children(self.process.pid)]

    def worker_rss_mib(self) -> list[float]:
        """The workers only: uvicorn's master also has multiprocessing's resource tracker as a child."""
        assert self.process is not None
        return [rss_mib(pid) for pid in children(self.process.pid) if b"resource_tracker" not in cmdline(pid)]


def floor_server(
    name: str, app_module: str, env: dict[str, str], workdir: Path, cpus: str | None, args: argparse.Namespace
) -> Server:
    """A floor app of bench/ under the same gunicorn worker and thread counts as Keel."""
    command = [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "--threads", str(args.threads)]
    command += ["-k", "gthread", "--chdir", str(ROOT / "bench"), app_module]
    return Server(name, command, env, workdir, cpus)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def own_ticks() -> float:
    """This script and the children it waited for (wrk), in clock ticks."""
    times = os.times()
    return (times.user + times.system + times.children_user + times.children_system) * CLOCK_TICKS


def busy_ticks() -> int:
    """CPU time spent in processes: not idle, not waiting, and not interrupts (loopback traffic is
    handled in softirq, which belongs to the benchmark, not to someone else)."""
    user, nice, system = (int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:4])
    return user + nice + system


def pids_of(name: str) -> list[int]:
    result = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True, check=False)
    return [int(p) for p in result.stdout.split()]


WRK_SCRIPT = """wrk.method = "{method}"
wrk.headers["Content-Type"] = "application/json"
{auth}
wrk.body = {body}
"""


def wrk(
    url: str,
    *,
    duration: int,
    connections: int,
    workdir: Path,
    cpus: str | None,
    method: str = "GET",
    token: str | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, float]:
    script = workdir / "request.lua"
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    script.write_text(
        WRK_SCRIPT.format(method=method, auth=auth, body=json.dumps(json.dumps(body)) if body else "nil")
    )
    prefix = ["taskset", "-c", cpus] if cpus else []
    out = subprocess.run(
        [*prefix, "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    ).stdout
    return wrk_output.parse(out)


@dataclass
class Target:
    name: str
    keel: dict[str, Any]
    base: dict[str, Any]  # the request Keel's is compared with, served by `against`
    against: str = (
        "floor"  # a floor server ("floor", "same_work", "stack"), "keel" (the deepest page) or "fsft"
    )
    base_name: str = "bare Flask"


def floor_target(name: str, path: str, token: str, against: str, base_name: str) -> Target:
    """Keel's path against a floor app serving it without the /api/v1 prefix, with the same token."""
    return Target(
        name,
        {"path": path, "token": token},
        {"path": path.removeprefix("/api/v1"), "token": token},
        against=against,
        base_name=base_name,
    )


def measure_pair(
    keel: Server,
    base_server: Server,
    target: Target,
    args: argparse.Namespace,
    workdir: Path,
    known: list[int],
) -> tuple[dict[str, float], dict[str, float], float, int]:
    """The base (floor, FSFT or Keel's first page) then Keel, re-run while others used the CPU."""
    for attempt in range(MAX_RETRIES + 1):
        before_busy = busy_ticks()
        before = {pid: cpu_ticks(pid) for pid in known}
        before_own = own_ticks()
        started = time.monotonic()
        base = run_spec(base_server, target.base, args, workdir)
        measured = run_spec(keel, target.keel, args, workdir)
        elapsed = time.monotonic() - started
        # Processes that started meanwhile (a PostgreSQL backend for a new connection) count as ours.
        now_known = set(before) | set(pids_of("postgres"))
        ours = sum(cpu_ticks(pid) - before.get(pid, 0) for pid in now_known) + own_ticks() - before_own
        others = (busy_ticks() - before_busy) - ours
        share = others / CLOCK_TICKS / elapsed
        if share <= INTERFERENCE_SHARE or attempt == MAX_RETRIES:
            return base, measured, share, attempt
        print(
            f"  {target.name}: other processes used {share:.0%} of a core; running the pair again",
            file=sys.stderr,
        )
    raise AssertionError("unreachable")


def check_answers(server: Server, spec: dict[str, Any], target: str) -> None:
    """A request measured must succeed: a floor answering 401 fast would flatter nothing."""
    headers = {"Authorization": f"Bearer {spec['token']}"} if spec.get("token") else None
    reply = call(server.port, spec.get("method", "GET"), spec["path"], spec.get("body"), headers)
    if reply.status != 200:
        raise SystemExit(f"{target}: {server.name} answered {reply.status} to {spec['path']}")


def run_spec(
    server: Server, spec: dict[str, Any], args: argparse.Namespace, workdir: Path
) -> dict[str, float]:
    """One wrk run, with the server's own CPU (master and workers) per request it answered."""
    pids = server.pids()
    before = sum(cpu_ticks(pid) for pid in pids)
    result = _wrk_spec(server, spec, args, workdir)
    ticks = sum(cpu_ticks(pid) for pid in pids) - before
    answered = result["rps"] * args.duration
    result["cpu_us"] = ticks / CLOCK_TICKS * 1e6 / answered if answered else 0.0
    return result


def _wrk_spec(
    server: Server, spec: dict[str, Any], args: argparse.Namespace, workdir: Path
) -> dict[str, float]:
    return wrk(
        f"http://127.0.0.1:{server.port}{spec['path']}",
        duration=args.duration,
        connections=args.connections,
        workdir=workdir,
        cpus=args.wrk_cpus,
        method=spec.get("method", "GET"),
        token=spec.get("token"),
        body=spec.get("body"),
    )


def flask_cli(env: dict[str, str], *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(arguments[:2])} failed: {result.stderr[-2000:]}")
    return result.stdout


def deepest_page_path(database_url: str, seed: int) -> str:
    """The URL the last rel="next" link of the listing leads to (computed, not walked)."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        row = connection.execute(
            sa.text(
                "SELECT created_at, id FROM users ORDER BY created_at DESC, id DESC OFFSET :skip LIMIT 1"
            ),
            {"skip": max(0, seed - 21)},
        ).one()
    engine.dispose()
    created_at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return f"/api/v1/users?limit=20&cursor={Cursor(created_at=created_at, id=row.id).encode()}"


def pin_services(cpus: str | None) -> dict[int, str]:
    """Pin PostgreSQL's processes to the servers' core; return their affinity to restore."""
    saved: dict[int, str] = {}
    if not cpus:
        return saved
    for pid in pids_of("postgres"):
        current = (
            subprocess.run(["taskset", "-p", "-c", str(pid)], capture_output=True, text=True, check=False)
            .stdout.rsplit(":", 1)[-1]
            .strip()
        )
        if (
            subprocess.run(
                ["taskset", "-p", "-c", cpus, str(pid)], capture_output=True, check=False
            ).returncode
            == 0
        ):
            saved[pid] = current
    return saved


def restore_affinity(saved: dict[int, str]) -> None:
    for pid, cpus in saved.items():
        subprocess.run(["taskset", "-p", "-c", cpus, str(pid)], capture_output=True, check=False)


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return f"{os.cpu_count()} cores, {model}, {memory} GiB, Python {platform.python_version()}, {platform.system()}"


def table(results: dict[str, Any]) -> str:
    lines = [
        "| path | floor | Keel / floor (median) | pairs | Keel req/s | Keel p50 / p99 ms | Keel CPU us/req "
        "| floor req/s | floor p50 / p99 ms | floor CPU us/req |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in results["targets"].items():
        keel, base = row["keel"], row["floor"]
        lines.append(
            f"| {name} | {row['floor_name']} | **{row['ratio']:.2f}x** | {len(row['ratios'])} | {keel['rps']:.0f} | "
            f"{keel['p50_ms']:.2f} / {keel['p99_ms']:.2f} | {keel['cpu_us']:.0f} | {base['rps']:.0f} | "
            f"{base['p50_ms']:.2f} / {base['p99_ms']:.2f} | {base['cpu_us']:.0f} |"
        )
    rss = results["rss_mib"]
    lines.append("")
    lines.append(
        f"RSS per Keel worker: {rss['keel_start']:.1f} MiB at start, {rss['keel_end']:.1f} MiB at the end "
        f"({rss['keel_growth']:+.1%}); floor: {rss['floor_start']:.1f} -> {rss['floor_end']:.1f} MiB"
        + (f"; FSFT: {rss['fsft_start']:.1f} -> {rss['fsft_end']:.1f} MiB." if "fsft_start" in rss else ".")
    )
    lines.append(
        f"Machine: {results['machine']}. Seed: {results['seed']} users; {results['duration']} s per run, "
        f"{results['connections']} connections, {results['workers']} workers x {results['threads']} threads"
        f"{', pinned' if results['pinned'] else ''}."
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=100_000, help="users to seed (default 100000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per server and path")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--only", nargs="*", help="target names to run")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to cores")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--fsft", type=Path, help="a full-stack-fastapi-template checkout: its /users/me beside Keel's"
    )
    parser.add_argument("--fsft-python", help="the interpreter for FSFT's virtualenv (default: found)")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    pinned = (os.cpu_count() or 1) >= 2 and not args.no_pin and shutil.which("taskset") is not None
    server_cpus = "0" if pinned else None
    args.wrk_cpus = "1" if pinned else None

    # FSFT is installed first: a wrong checkout or a missing interpreter fails before the long seeding.
    fsft_backend = fsft_venv = None
    if args.fsft is not None and fsft.wanted(args.only, FSFT_TARGET):
        fsft_backend = fsft.backend_dir(args.fsft)
        uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv") or "uv"
        fsft_python = fsft.find_python(fsft_backend, args.fsft_python)
        print(f"FSFT: installing {fsft_backend} with Python {fsft_python}", file=sys.stderr)
        fsft_venv = fsft.install(fsft_backend, fsft_python, uv)

    server_url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    workdir = Path(tempfile.mkdtemp(prefix="keel-bench-"))
    database = databases.create_pg_database(server_url, prefix="keel_bench")
    fsft_database: str | None = None
    redis_server = RedisServer(workdir)
    servers: list[Server] = []
    saved_affinity: dict[int, str] = {}
    try:
        databases.migrate(database, KEY_SECRETS)
        redis_server.start()
        limits = {
            "RATELIMIT_DEFAULT": HIGH,
            "RATELIMIT_LOGIN_IP": HIGH,
            "RATELIMIT_LOGIN_EMAIL": HIGH,
            "RATELIMIT_REGISTER": HIGH,
            "RATELIMIT_REFRESH": HIGH,
        }
        env = app_environment(
            database,
            redis_server.url,
            WEB_CONCURRENCY=str(args.workers),
            GUNICORN_THREADS=str(args.threads),
            PASSWORD_TIME_COST="2",
            PASSWORD_MEMORY_KIB="19456",
            LOG_LEVEL="INFO",
            **limits,
        )
        started = time.monotonic()
        print(flask_cli(env, "users", "seed", "--count", str(args.seed)).strip(), file=sys.stderr)
        flask_cli(
            env,
            "users",
            "create-admin",
            "--email",
            "bench-admin@example.com",
            "--name",
            "Bench",
            "--password",
            PASSWORD,
        )
        seeded_in = time.monotonic() - started

        keel = Server(
            "keel",
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            {**env, "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics")},
            workdir,
            server_cpus,
        )
        dsn = sa.make_url(database).set(drivername="postgresql").render_as_string(hide_password=False)
        floor_env = {**env, "BASELINE_DSN": dsn}
        floor = floor_server("floor", "baseline:app", floor_env, workdir, server_cpus, args)
        same_work = floor_server("same_work", "same_work:app", floor_env, workdir, server_cpus, args)
        stack = floor_server("stack", "stack_floor:app", floor_env, workdir, server_cpus, args)
        servers = [keel, floor, same_work, stack]
        fsft_server: Server | None = None
        if fsft_backend is not None and fsft_venv is not None:
            fsft_database = databases.create_pg_database(server_url, prefix="fsft_bench")
            fsft_env = fsft.environment(
                fsft_database,
                secret_key=secrets.token_urlsafe(32),
                password=PASSWORD,
                venv=fsft_venv,
                inherited=os.environ,
            )
            fsft.prepare_database(fsft_backend, fsft_venv, fsft_env)
            fsft.seed(fsft_database, args.seed + 1)  # Keel's table: the seed, the admin, the bench user
            fsft_server = Server(
                "fsft",
                fsft.command(fsft_venv, args.workers),
                fsft_env,
                workdir,
                server_cpus,
                bind=fsft.bind,
                cwd=fsft_backend,
                health=fsft.HEALTH_PATH,
            )
            servers.append(fsft_server)
        for server in servers:
            server.start()
        saved_affinity = pin_services(server_cpus)
        if pinned:
            subprocess.run(
                ["taskset", "-a", "-p", "-c", "0", str(redis_server.process.pid)],  # type: ignore[union-attr]
                capture_output=True,
                check=False,
            )

        call(
            keel.port,
            "POST",
            "/api/v1/auth/register",
            {"email": "bench-user@example.com", "password": PASSWORD, "name": "Bench"},
        )
        user = call(
            keel.port, "POST", "/api/v1/auth/login", {"email": "bench-user@example.com", "password": PASSWORD}
        ).json()
        admin = call(
            keel.port,
            "POST",
            "/api/v1/auth/login",
            {"email": "bench-admin@example.com", "password": PASSWORD},
        ).json()
        me = call(
            keel.port, "GET", "/api/v1/users/me", headers={"Authorization": f"Bearer {user['access_token']}"}
        ).json()
        login_body = {"email": "bench-user@example.com", "password": PASSWORD}
        targets = [
            Target("GET /health", {"path": "/health"}, {"path": "/health"}),
            Target(
                "GET /api/v1/users/me",
                {"path": "/api/v1/users/me", "token": user["access_token"]},
                {"path": f"/users/{me['id']}"},
            ),
            floor_target(
                "GET /api/v1/users/me / same work",
                "/api/v1/users/me",
                user["access_token"],
                "same_work",
                SAME_WORK,
            ),
            floor_target(
                "GET /api/v1/users/me / stack", "/api/v1/users/me", user["access_token"], "stack", STACK
            ),
            Target(
                "admin GET /api/v1/users/{id}",
                {"path": f"/api/v1/users/{me['id']}", "token": admin["access_token"]},
                {"path": f"/users/{me['id']}"},
            ),
            floor_target(
                "admin GET /api/v1/users/{id} / same work",
                f"/api/v1/users/{me['id']}",
                admin["access_token"],
                "same_work",
                SAME_WORK,
            ),
            Target(
                "GET /api/v1/users?limit=20",
                {"path": "/api/v1/users?limit=20", "token": admin["access_token"]},
                {"path": "/users?limit=20"},
            ),
            Target(
                "deepest page / first page",
                {"path": deepest_page_path(database, args.seed + 2), "token": admin["access_token"]},
                {"path": "/api/v1/users?limit=20", "token": admin["access_token"]},
                against="keel",
                base_name="Keel's first page",
            ),
            Target(
                "POST /api/v1/auth/login",
                {"path": "/api/v1/auth/login", "method": "POST", "body": login_body},
                {"path": "/verify", "method": "POST", "body": {"password": PASSWORD}},
            ),
        ]
        if fsft_server is not None:
            targets.append(
                Target(
                    FSFT_TARGET,
                    {"path": "/api/v1/users/me", "token": user["access_token"]},
                    {"path": fsft.ME_PATH, "token": fsft.login(fsft_server.port, PASSWORD)},
                    against="fsft",
                    base_name="full-stack-fastapi-template",
                )
            )
        if args.only:
            targets = [t for t in targets if any(word in t.name for word in args.only)]

        by_name = {server.name: server for server in servers}
        rss_start = {server.name: server.worker_rss_mib() for server in servers}
        results: dict[str, Any] = {"targets": {}}
        for target in targets:
            base_server = by_name[target.against]
            for server, spec in ((keel, target.keel), (base_server, target.base)):
                check_answers(server, spec, target.name)
            if args.warmup:
                warm = argparse.Namespace(**{**vars(args), "duration": args.warmup})
                for server, spec in ((keel, target.keel), (base_server, target.base)):
                    run_spec(server, spec, warm, workdir)
            ratios, keel_runs, floor_runs, shares = [], [], [], []
            for _ in range(args.pairs):
                # Every server's master and workers, FSFT's included: their CPU is not interference.
                known = [
                    *(pid for server in servers for pid in server.pids()),
                    *pids_of("postgres"),
                    redis_server.process.pid,  # type: ignore[union-attr]
                ]
                for _attempt in range(3):
                    base, measured, share, _retries = measure_pair(
                        keel, base_server, target, args, workdir, known
                    )
                    # A run with no completed request (a very short run on a busy machine) has no
                    # ratio: the pair is measured again.
                    if base["rps"] > 0:
                        break
                    print(
                        f"  {target.name}: no request completed against the baseline; again", file=sys.stderr
                    )
                else:
                    raise SystemExit(f"{target.name}: the baseline completed no request in three runs")
                ratios.append(measured["rps"] / base["rps"])
                keel_runs.append(measured)
                floor_runs.append(base)
                shares.append(share)
            middle = sorted(range(len(ratios)), key=ratios.__getitem__)[len(ratios) // 2]
            results["targets"][target.name] = {
                "ratio": statistics.median(ratios),
                "ratios": ratios,
                "keel": keel_runs[middle],
                "floor": floor_runs[middle],
                "floor_name": target.base_name,
                "interference": max(shares),
            }
            print(f"  {target.name}: {statistics.median(ratios):.2f}x", file=sys.stderr)
        rss_end = {server.name: server.worker_rss_mib() for server in servers}
        keel_start, keel_end = statistics.mean(rss_start["keel"]), statistics.mean(rss_end["keel"])
        rss = {
            "keel_start": keel_start,
            "keel_end": keel_end,
            "keel_growth": keel_end / keel_start - 1,
            "floor_start": statistics.mean(rss_start["floor"]),
            "floor_end": statistics.mean(rss_end["floor"]),
        }
        if fsft_server is not None:
            rss.update(
                fsft_start=statistics.mean(rss_start["fsft"]), fsft_end=statistics.mean(rss_end["fsft"])
            )
        results.update(
            rss_mib=rss,
            machine=machine(),
            seed=args.seed,
            seeded_in_s=round(seeded_in, 1),
            duration=args.duration,
            connections=args.connections,
            workers=args.workers,
            threads=args.threads,
            pinned=pinned,
            at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        print(table(results))
        args.output.mkdir(parents=True, exist_ok=True)
        (args.output / f"bench-{results['at'].replace(':', '')}.json").write_text(
            json.dumps(results, indent=2)
        )
        return 0
    finally:
        restore_affinity(saved_affinity)
        for server in servers:
            server.stop()
        redis_server.stop()
        databases.drop_pg_database(database)
        if fsft_database is not None:
            databases.drop_pg_database(fsft_database)


if __name__ == "__main__":
    raise SystemExit(main())
