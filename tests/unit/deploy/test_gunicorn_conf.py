"""gunicorn.conf.py: settings from the environment, and the hooks a production app needs."""

from __future__ import annotations

import importlib.util
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import prometheus_client  # noqa: F401 - chooses its value store now, before any test sets PROMETHEUS_MULTIPROC_DIR
import pytest

from app.observability.shutdown import shutdown_started
from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[3]


def load_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    spec = importlib.util.spec_from_file_location("keel_gunicorn_conf", ROOT / "gunicorn.conf.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_conf_probe(probe: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run Python code in a fresh interpreter beside gunicorn.conf.py, as gunicorn's master would."""
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "APP_ENV": "development",
            "PROMETHEUS_MULTIPROC_DIR": str(ROOT / ".no-metrics"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for key in (
        "WEB_CONCURRENCY",
        "GUNICORN_THREADS",
        "BIND",
        "TRUSTED_PROXIES",
        "FORWARDED_ALLOW_IPS",
        "METRICS_BIND",
        "APP_ENV",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    yield
    shutdown_started.clear()


def test_conf_reads_workers_threads_and_bind_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch, WEB_CONCURRENCY="3", GUNICORN_THREADS="6", BIND="127.0.0.1:9000")
    assert (conf.workers, conf.threads, conf.bind) == (3, 6, "127.0.0.1:9000")
    assert conf.worker_class == "gthread"
    assert conf.graceful_timeout < 40 - 5  # inside terminationGracePeriodSeconds after preStop
    assert conf.keepalive > 60  # outlives nginx's upstream keepalive_timeout
    assert conf.max_requests_jitter > 0
    assert conf.preload_app is False
    assert conf.control_socket_disable is True


def test_conf_trusts_forwarding_from_loopback_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_conf(monkeypatch, TRUSTED_PROXIES="1").forwarded_allow_ips == "127.0.0.1,::1"
    configured = load_conf(monkeypatch, TRUSTED_PROXIES="1", FORWARDED_ALLOW_IPS="10.0.0.0/8")
    assert configured.forwarded_allow_ips == "10.0.0.0/8"
    assert load_conf(monkeypatch, FORWARDED_ALLOW_IPS="*").forwarded_allow_ips == "*"


def test_conf_takes_no_path_from_forwarding_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch, TRUSTED_PROXIES="1")
    assert conf.forwarder_headers == ""
    assert conf.secure_scheme_headers == {}


def test_conf_refuses_a_forwarded_allow_list_gunicorn_would_not_parse(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        load_conf(monkeypatch, FORWARDED_ALLOW_IPS="192.168.1.1/24")
    assert "FORWARDED_ALLOW_IPS" in capsys.readouterr().err


def test_conf_refuses_unsafe_production_config(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        load_conf(monkeypatch, APP_ENV="production", DATABASE_URL="postgresql://db/keel")
    assert exit_info.value.code == 2
    assert "JWT_SECRET_KEY" in capsys.readouterr().err


def test_conf_without_app_env_is_production(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("APP_ENV")
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        load_conf(monkeypatch)
    assert exit_info.value.code == 2
    assert "JWT_SECRET_KEY" in capsys.readouterr().err


def test_on_starting_empties_the_metrics_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    conf = load_conf(monkeypatch)
    stale = tmp_path / "metrics" / "counter_123.db"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"old")
    conf.on_starting(server=None)
    assert (tmp_path / "metrics").is_dir()
    assert not stale.exists()


def test_sigterm_in_a_worker_fails_readiness_then_stops_gracefully(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch)
    calls: list[int] = []

    class Worker:
        def handle_exit(self, sig: int, frame: Any) -> None:
            calls.append(sig)

    previous = signal.getsignal(signal.SIGTERM)
    try:
        conf.post_worker_init(Worker())
        signal.raise_signal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert shutdown_started.is_set()
    assert calls == [signal.SIGTERM]


def test_child_exit_marks_dead_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    conf = load_conf(monkeypatch)
    conf.on_starting(server=None)
    live = tmp_path / "metrics" / "gauge_livesum_4242.db"
    live.write_bytes(b"")

    class Worker:
        pid = 4242

    conf.child_exit(server=None, worker=Worker())
    assert not live.exists()


def test_dockerfile_installs_from_the_same_lock_and_uv_as_make() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    uv_version = next(
        line.split(":=")[1].strip() for line in makefile.splitlines() if line.startswith("UV_VERSION")
    )
    assert f"uv=={uv_version}" in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "uv sync --frozen" in makefile
    assert "USER keel" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert 'ENTRYPOINT ["gunicorn", "-c", "gunicorn.conf.py"]' in dockerfile
    assert "db upgrade" not in dockerfile.split("ENTRYPOINT")[1]


def test_master_opens_nothing_that_would_cross_the_fork() -> None:
    """gunicorn.conf.py runs in the master: no ORM, database driver, Redis client or metric values there."""
    probe = (
        "import runpy, sys; runpy.run_path('gunicorn.conf.py'); "
        "print(sorted(m for m in ('sqlalchemy', 'psycopg2', 'redis', 'flask_sqlalchemy', 'prometheus_client', "
        "'app.factory') if m in sys.modules))"
    )
    result = run_conf_probe(probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


_ACCESS_PROBE = """
import runpy
from gunicorn.config import Config
settings = runpy.run_path("gunicorn.conf.py")
config = Config()
for name in ("accesslog", "logconfig_dict", "logger_class"):
    config.set(name, settings[name])
logger = config.logger_class(config)
print(type(logger).__name__, logger.access_log_enabled)
"""


@pytest.mark.parametrize(("access_log", "enabled"), [(None, "False"), ("-", "True")])
def test_gunicorn_builds_its_access_line_only_when_asked(access_log: str | None, enabled: str) -> None:
    """gunicorn would build every request's access atoms just because a logconfig_dict is set."""
    result = run_conf_probe(_ACCESS_PROBE, **({"GUNICORN_ACCESS_LOG": access_log} if access_log else {}))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["KeelGunicornLogger", enabled]


class Master:
    """What gunicorn's arbiter hands its hooks: here, only its log."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.log = self

    def info(self, message: str, *args: Any) -> None:
        pass

    def error(self, message: str, *args: Any) -> None:
        self.errors.append(message % args)


def write_worker_sample(metrics_dir: Path) -> None:
    """A sample written by another process, the way a gunicorn worker writes its own."""
    probe = "from prometheus_client import Counter; Counter('keel_probe_total', 'probe').inc(3)"
    env = {"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    subprocess.run([sys.executable, "-c", probe], env=env, check=True, timeout=60)


def scrape(port: int, path: str = "/metrics") -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return str(response.read().decode())


def test_the_master_serves_the_workers_metrics_on_their_own_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    port = free_port()
    conf = load_conf(monkeypatch, METRICS_BIND=f"127.0.0.1:{port}")
    conf.on_starting(server=None)
    write_worker_sample(tmp_path / "metrics")
    master = Master()
    conf.when_ready(master)
    listener = conf._metrics_listener
    try:
        assert master.errors == []
        assert listener.server_address[0] == "127.0.0.1"
        assert "keel_probe_total 3.0" in scrape(port)
        # A worker forked from this master closes its copy of the listening socket: only the master answers.
        conf.post_fork(master, worker=None)
        assert listener.socket.fileno() == -1
    finally:
        listener.shutdown()
        listener.server_close()


def test_metrics_listen_on_loopback_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_conf(monkeypatch, APP_ENV="test")._settings.metrics_bind == "127.0.0.1:9102"
    assert load_conf(monkeypatch, METRICS_BIND="0.0.0.0:9102")._settings.metrics_bind == "0.0.0.0:9102"


def test_in_development_the_master_serves_no_metrics_and_the_app_port_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = load_conf(monkeypatch, APP_ENV="development")
    assert conf._settings.metrics_bind is None
    conf.when_ready(Master())
    assert conf._metrics_listener is None


def test_a_taken_metrics_address_is_logged_and_the_app_still_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        conf = load_conf(monkeypatch, METRICS_BIND=f"127.0.0.1:{port}")
        conf.on_starting(server=None)
        master = Master()
        conf.when_ready(master)
    assert conf._metrics_listener is None
    assert [f"127.0.0.1:{port}" in error for error in master.errors] == [True]


def test_an_empty_metrics_bind_serves_no_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch, METRICS_BIND="")
    conf.when_ready(Master())
    assert conf._metrics_listener is None


def test_conf_refuses_a_metrics_bind_that_is_no_address_and_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        load_conf(monkeypatch, METRICS_BIND="metrics.internal:9102")
    assert "METRICS_BIND" in capsys.readouterr().err
