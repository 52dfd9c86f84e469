"""full-stack-fastapi-template (FSFT) beside Keel: `make bench FSFT=path` (docs/benchmarks.md).

FSFT is not bundled: the harness is given a checkout (the folder holding `backend/`) and runs that
backend as its own deployment does: a virtualenv of its own built from its uv.lock, its migrations and
initial data as `scripts/prestart.sh` runs them, then `fastapi run --workers N app/main.py`. Nothing of
FSFT's code is copied into Keel; only its environment variables are written here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import sqlalchemy as sa
from packaging.specifiers import SpecifierSet

TARGET = "GET /api/v1/users/me vs FSFT"  # holds "users/me", so `--only users/me` selects it too
VENV_NAME = ".venv-keel-bench"
HEALTH_PATH = "/api/v1/utils/health-check/"
ME_PATH = "/api/v1/users/me"
LOGIN_PATH = "/api/v1/login/access-token"
SUPERUSER = "bench-fsft@example.com"
# FSFT refuses "changethis" outside local development; with trust auth PostgreSQL ignores the value.
TRUST_PASSWORD = "keel-bench-trust-auth"
# Variables of the running shell that would point FSFT's tools at Keel's environment.
_INHERITED_NOT = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "PYTHONHOME", "DATABASE_URL")


def backend_dir(checkout: Path) -> Path:
    """The checkout's backend, checked early so a wrong path fails before seeding Keel."""
    backend = checkout.expanduser().resolve() / "backend"
    for needed in ("pyproject.toml", "alembic.ini", "app/main.py", "app/initial_data.py"):
        if not (backend / needed).is_file():
            raise SystemExit(f"--fsft {checkout}: no backend/{needed}; give the checkout's root folder")
    return backend


def requires_python(backend: Path) -> str:
    project = tomllib.loads((backend / "pyproject.toml").read_text()).get("project", {})
    return str(project.get("requires-python", ""))


def choose_python(spec: str, found: Sequence[tuple[str, str]]) -> str | None:
    """The first interpreter (path, version), in order of preference, that FSFT's backend accepts."""
    accepted = SpecifierSet(spec)
    return next((path for path, version in found if accepted.contains(version)), None)


def _version(python: str) -> str | None:
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except OSError:
        return None
    out = result.stdout.strip()
    return out if result.returncode == 0 and re.fullmatch(r"\d+\.\d+\.\d+", out) else None


def candidate_pythons() -> list[str]:
    """Keel's own interpreter first (one Python for both sides when FSFT accepts it), then the newest."""
    paths = [str(Path(sys.base_prefix) / "bin" / "python3")]
    paths += [p for minor in range(20, 9, -1) if (p := shutil.which(f"python3.{minor}"))]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv.is_dir():
        paths += sorted((str(p) for p in pyenv.glob("3.*/bin/python3")), key=_numeric, reverse=True)
    return list(dict.fromkeys(paths))


def _numeric(path: str) -> tuple[int, ...]:
    found = re.search(r"/(\d+)\.(\d+)\.(\d+)[^/]*/bin/", path)
    return tuple(int(n) for n in found.groups()) if found else ()


def find_python(backend: Path, preferred: str | None) -> str:
    """An installed interpreter for FSFT, or its version range for uv to find (or download)."""
    if preferred:
        return preferred
    spec = requires_python(backend)
    found = [(path, version) for path in candidate_pythons() if (version := _version(path))]
    return choose_python(spec, found) or spec or "3"


def base_environment(inherited: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in inherited.items() if k not in _INHERITED_NOT and not k.startswith("UV_")}


def install(backend: Path, python: str, uv: str) -> Path:
    """FSFT's backend and its locked dependencies in a virtualenv kept in the checkout for later runs."""
    venv = backend / VENV_NAME
    env = {**base_environment(os.environ), "UV_PROJECT_ENVIRONMENT": str(venv)}
    locked = (backend / "uv.lock").is_file() or (backend.parent / "uv.lock").is_file()
    steps = (
        [[uv, "sync", "--frozen", "--no-dev", "--python", python]]
        if locked
        else [
            [uv, "venv", "--allow-existing", "--python", python, str(venv)],
            [uv, "pip", "install", "--python", str(venv / "bin" / "python"), str(backend)],
        ]
    )
    for step in steps:
        result = subprocess.run(step, cwd=backend, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"installing FSFT's backend failed ({' '.join(step[:2])}, Python {python}; "
                f"FSFT_PYTHON=/path/to/python picks the interpreter):\n{result.stderr[-2000:]}"
            )
    return venv


def environment(
    database_url: str, *, secret_key: str, password: str, venv: Path, inherited: Mapping[str, str]
) -> dict[str, str]:
    """FSFT's settings for one database: both its older POSTGRES_* variables and its newer DATABASE_URL.

    Real secrets, so its production checks pass; they also beat the checkout's own `.env` (FSFT reads
    `../.env`, and a variable set in the environment wins over it).
    """
    url = sa.make_url(database_url)
    db_password = url.password if isinstance(url.password, str) and url.password else TRUST_PASSWORD
    host, port, user = url.host or "127.0.0.1", str(url.port or 5432), url.username or "postgres"
    dsn = sa.URL.create("postgresql", user, db_password, host, int(port), url.database)
    return {
        **base_environment(inherited),
        "PATH": f"{venv / 'bin'}{os.pathsep}{inherited.get('PATH', '')}",
        "PROJECT_NAME": "FSFT (Keel bench)",
        "ENVIRONMENT": "production",
        "SECRET_KEY": secret_key,
        "FIRST_SUPERUSER": SUPERUSER,
        "FIRST_SUPERUSER_PASSWORD": password,
        "POSTGRES_SERVER": host,
        "POSTGRES_PORT": port,
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": db_password,
        "POSTGRES_DB": url.database or "",
        "DATABASE_URL": dsn.render_as_string(hide_password=False),
    }


def prepare_database(backend: Path, venv: Path, env: dict[str, str]) -> None:
    """What FSFT's scripts/prestart.sh does once the database answers: migrate, then the initial data."""
    for step in (
        [str(venv / "bin" / "alembic"), "upgrade", "head"],
        [str(venv / "bin" / "python"), "app/initial_data.py"],
    ):
        result = subprocess.run(
            step, cwd=backend, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"FSFT's {' '.join(step[-2:])} failed:\n{result.stderr[-2000:]}")


def seed(database_url: str, count: int) -> None:
    """As many users as Keel's table holds, copies of FSFT's superuser row, whatever its columns."""
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                'INSERT INTO "user" SELECT (jsonb_populate_record(NULL::"user", to_jsonb(u) || jsonb_build_object('
                "'id', gen_random_uuid(), 'email', 'seed-' || g || '@example.com', 'is_superuser', false))).* "
                'FROM "user" u, generate_series(1, :count) g WHERE u.email = :email'
            ),
            {"count": count, "email": SUPERUSER},
        )
    engine.dispose()


def command(venv: Path, workers: int) -> list[str]:
    """FSFT's own production start (its Dockerfile's CMD), with Keel's worker count."""
    return [
        str(venv / "bin" / "fastapi"),
        "run",
        "--workers",
        str(workers),
        "--host",
        "127.0.0.1",
        "app/main.py",
    ]


def bind(port: int) -> list[str]:
    return ["--port", str(port)]


def login(port: int, password: str) -> str:
    """A bearer token from FSFT's OAuth2 password form."""
    form = urllib.parse.urlencode({"username": SUPERUSER, "password": password}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{LOGIN_PATH}", data=form, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        token: str = json.load(response)["access_token"]
    return token


def wanted(only: Iterable[str] | None, name: str) -> bool:
    """Whether --only selects the FSFT row, so FSFT is not installed and started for nothing."""
    return not only or any(word in name for word in only)
