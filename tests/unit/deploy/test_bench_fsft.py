"""bench/fsft.py's pure parts: FSFT's settings, its interpreter, and when --only selects its row.

Running FSFT itself needs a checkout and PyPI: `make bench FSFT=path` does it (docs/benchmarks.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import fsft

DATABASE = "postgresql+psycopg2://postgres@127.0.0.1:5432/fsft_bench_0123"


def settings(database: str = DATABASE, **inherited: str) -> dict[str, str]:
    return fsft.environment(
        database,
        secret_key="s3cret-key",
        password="Quiet-Harbour-Lantern-42",
        venv=Path("/ck/backend/.venv-keel-bench"),
        inherited={"PATH": "/usr/bin", **inherited},
    )


def test_both_generations_of_fsft_settings_name_the_same_database() -> None:
    env = settings()
    assert env["POSTGRES_SERVER"] == "127.0.0.1"
    assert env["POSTGRES_PORT"] == "5432"
    assert env["POSTGRES_USER"] == "postgres"
    assert env["POSTGRES_DB"] == "fsft_bench_0123"
    assert env["DATABASE_URL"] == (
        f"postgresql://postgres:{fsft.TRUST_PASSWORD}@127.0.0.1:5432/fsft_bench_0123"
    )


def test_no_default_secret_so_its_production_checks_pass() -> None:
    env = settings()
    assert "changethis" not in env.values()
    assert env["POSTGRES_PASSWORD"] == fsft.TRUST_PASSWORD  # trust auth: any value, but not empty
    assert env["ENVIRONMENT"] == "production"
    assert env["SECRET_KEY"] == "s3cret-key"
    assert env["FIRST_SUPERUSER"] == fsft.SUPERUSER
    assert env["FIRST_SUPERUSER_PASSWORD"] == "Quiet-Harbour-Lantern-42"
    assert env["PROJECT_NAME"]


def test_a_password_in_the_server_url_is_kept() -> None:
    env = settings("postgresql+psycopg2://bench:pw@db.local:6543/x")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_SERVER"]) == (
        "bench",
        "pw",
        "db.local",
    )
    assert env["DATABASE_URL"] == "postgresql://bench:pw@db.local:6543/x"


def test_keels_environment_does_not_leak_into_fsfts_tools() -> None:
    env = settings(VIRTUAL_ENV="/keel/.venv", UV_PROJECT_ENVIRONMENT=".venv", UV_CACHE_DIR="/c", HOME="/root")
    assert "VIRTUAL_ENV" not in env
    assert not any(key.startswith("UV_") for key in env)
    assert env["HOME"] == "/root"
    assert env["PATH"] == "/ck/backend/.venv-keel-bench/bin:/usr/bin"


def test_the_first_accepted_interpreter_is_chosen() -> None:
    found = [("/keel/python3", "3.11.7"), ("/usr/bin/python3.13", "3.13.0")]
    assert fsft.choose_python(">=3.10,<4.0", found) == "/keel/python3"
    assert fsft.choose_python(">=3.12", found) == "/usr/bin/python3.13"
    assert fsft.choose_python(">=3.14,<4.0", found) is None
    assert fsft.choose_python("", found) == "/keel/python3"


def test_the_fsft_row_is_selected_like_the_others() -> None:
    name = fsft.TARGET
    assert fsft.wanted(None, name)
    assert fsft.wanted(["users/me"], name)
    assert fsft.wanted(["health", "FSFT"], name)
    assert not fsft.wanted(["health"], name)


def test_a_folder_without_fsfts_backend_is_refused_early(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"backend/pyproject\.toml"):
        fsft.backend_dir(tmp_path)


def test_its_python_range_is_read_from_its_backend(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\nrequires-python = ">=3.14,<4.0"\n')
    assert fsft.requires_python(tmp_path) == ">=3.14,<4.0"
