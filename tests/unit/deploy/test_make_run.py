"""`make run` serves on localhost:8000 by default, and on the HOST and PORT given to make."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# Variables an outer make (or the shell) would otherwise pass down to the make under test.
_INHERITED = ("HOST", "PORT", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL")


def _run_command(*assignments: str) -> str:
    """The `flask run` line `make run` would execute (-n: printed, nothing run)."""
    env = {name: value for name, value in os.environ.items() if name not in _INHERITED}
    printed = subprocess.run(
        ["make", "-n", "run", *assignments], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    lines = [line for line in printed.splitlines() if " run --host " in line]
    assert len(lines) == 1, printed
    return lines[0]


def test_make_run_serves_on_localhost_8000_by_default() -> None:
    assert _run_command().endswith("run --host localhost --port 8000")


def test_make_run_takes_host_and_port_from_the_command_line() -> None:
    assert _run_command("PORT=8080", "HOST=0.0.0.0").endswith("run --host 0.0.0.0 --port 8080")
