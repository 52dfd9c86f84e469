"""`make bench` works end to end: a tiny seed and one-second runs, only to prove the harness (CI runs it).
Nothing here times anything: the figures live in docs/benchmarks.md."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.support.tools import require_program

ROOT = Path(__file__).resolve().parents[3]


def run_script(script: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    assert PG_URL is not None
    return subprocess.run(
        [sys.executable, script, *arguments],
        cwd=ROOT,
        env={**os.environ, "BENCH_DATABASE_URL": PG_URL},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_benchmark_runs_and_prints_its_table(tmp_path: Path) -> None:
    if PG_URL is None:
        pytest.skip("the benchmark needs TEST_DATABASE_URL (CI always sets it)")
    require_program("wrk", install="apt-get install wrk")
    require_program("redis-server", install="apt-get install redis-server")
    result = run_script(
        "bench/run.py",
        *("--seed", "50", "--duration", "1", "--warmup", "0", "--pairs", "1", "--connections", "2"),
        *("--no-pin", "--output", str(tmp_path)),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for row in (
        "GET /health",
        "GET /api/v1/users/me",
        "GET /api/v1/users/me / same work",
        "GET /api/v1/users/me / stack",
        "admin GET /api/v1/users/{id} / same work",
        "GET /api/v1/users?limit=20",
        "POST /api/v1/auth/login",
        "deepest page / first page",
        "RSS per Keel worker",
    ):
        assert row in result.stdout, row
    assert list(tmp_path.glob("bench-*.json"))


def test_the_layer_budget_runs_and_prints_every_layer(tmp_path: Path) -> None:
    if PG_URL is None:
        pytest.skip("the layer budget needs TEST_DATABASE_URL (CI always sets it)")
    require_program("redis-server", install="apt-get install redis-server")
    result = run_script("bench/layers.py", "--requests", "20", "--seed", "30", "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout
    for layer in (
        "WSGI + Flask dispatch",
        "JWT guard",
        "caller lookup",
        "limiter hit and headers",
        "access line",
    ):
        assert f"| {layer} |" in table, layer
    assert "| functools |" not in table
    assert list(tmp_path.glob("layers-*.json"))
