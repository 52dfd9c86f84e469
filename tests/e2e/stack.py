"""A real deployment on loopback: gunicorn instances of Keel behind the shipped nginx config."""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "e2e-secret-key-that-is-long-enough-0123456789"
DATA_KEY = "Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1rZXktMDA="
# What a process of the stack needs to decrypt the signing key the migration makes.
KEY_SECRETS = {"JWT_SECRET_KEY": SECRET, "DATA_ENCRYPTION_KEYS": DATA_KEY}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body)
        all_headers = {"Content-Type": "application/json"} if payload else {}
        all_headers.update(headers or {})
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def wait_until_healthy(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if call(port, "GET", "/health", timeout=1).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing healthy on port {port}")


@dataclass
class Instance:
    name: str
    port: int
    workdir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)
    # gunicorn's master serves /metrics here (METRICS_BIND), never on `port`.
    metrics_port: int = field(default_factory=free_port)
    # How long the workers may take to import and serve /health (longer on a busy machine).
    startup_seconds: float = 30

    def __post_init__(self) -> None:
        self.log_path = self.workdir / f"{self.name}.log"

    def start(self) -> None:
        metrics_dir = self.workdir / f"{self.name}-metrics"
        env = {
            "METRICS_BIND": f"127.0.0.1:{self.metrics_port}",
            **self.env,
            "BIND": f"127.0.0.1:{self.port}",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        }
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_until_healthy(self.port, timeout=self.startup_seconds)

    def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for raw in self.log_path.read_text(errors="replace").splitlines():
            if raw.startswith("{"):
                try:
                    lines.append(json.loads(raw))
                except json.JSONDecodeError:
                    continue
        return lines

    def access_lines(self) -> list[dict[str, Any]]:
        return [line for line in self.log_lines() if line.get("logger") == "keel.access"]

    @property
    def metrics_dir(self) -> Path:
        return self.workdir / f"{self.name}-metrics"


def app_environment(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST", "COV_", "OTEL_"))}
    return {
        **base,
        "APP_ENV": "production",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "JWT_SECRET_KEY": SECRET,
        "TRUSTED_PROXIES": "1",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "LOG_FORMAT": "json",
        # Cheap hashing keeps the stack fast; production refuses it unless waived, as here.
        "PASSWORD_TIME_COST": "1",
        "PASSWORD_MEMORY_KIB": "8192",
        "ALLOW_UNSAFE_SETTINGS": "PASSWORD_MEMORY_KIB",
        "GUNICORN_GRACEFUL_TIMEOUT": "20",
        # Nothing listens there: a stack that sends mail must bring its own SMTP server.
        "SMTP_URL": "smtp://127.0.0.1:9",
        "MAIL_FROM": "Keel <no-reply@keel.test>",
        "FRONTEND_URL": "https://app.keel.test",
        "DATA_ENCRYPTION_KEYS": DATA_KEY,
        "JWT_ISSUER": "https://keel.test",
        **extra,
    }


class Nginx:
    """The shipped deploy/nginx/keel.conf, with only its ports and paths adapted to loopback."""

    def __init__(self, workdir: Path, upstream_ports: list[int]) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.upstream_ports = upstream_ports
        self.process: subprocess.Popen[bytes] | None = None

    def render(self) -> Path:
        shipped = (ROOT / "deploy" / "nginx" / "keel.conf").read_text()
        servers = "\n".join(
            f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;" for port in self.upstream_ports
        )
        site = re.sub(r"    server app:8000[^\n]*\n", servers + "\n", shipped)
        site = re.sub(r"listen 80\b", f"listen 127.0.0.1:{self.port}", site)
        site = site.replace("access_log /dev/stdout", f"access_log {self.workdir / 'nginx-access.log'}")
        (self.workdir / "keel.conf").write_text(site)
        temp = self.workdir / "nginx-temp"
        temp.mkdir(exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""
        main = (
            f"{user}daemon off;\nworker_processes 1;\npid {self.workdir / 'nginx.pid'};\n"
            f"error_log {self.workdir / 'nginx-error.log'} warn;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n  access_log off;\n  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
            f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n"
            f"  include {self.workdir / 'keel.conf'};\n}}\n"
        )
        path = self.workdir / "nginx.conf"
        path.write_text(main)
        return path

    def check(self) -> subprocess.CompletedProcess[str]:
        config = self.render()
        return subprocess.run(
            ["nginx", "-t", "-p", str(self.workdir), "-c", str(config)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def start(self) -> None:
        config = self.render()
        self.process = subprocess.Popen(
            ["nginx", "-p", str(self.workdir), "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_healthy(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def listening_addresses(port: int) -> set[str]:
    """The local addresses something listens on at `port`, as the kernel reports them (Linux)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for row in path.read_text().splitlines()[1:]:
            fields = row.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                words = [bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, len(address), 8)]
                found.add(str(ipaddress.ip_address(b"".join(words))))
    return found
