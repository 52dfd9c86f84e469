"""`make resource NAME=widgets`, run in a copy of the repository, leaves a project whose lint, format,
import rules, types, OpenAPI document and tests (the generated ones on SQLite and PostgreSQL
included) all pass with no hand edit; a taken or unsafe name is refused and writes nothing.

Slow (a copy, a generation, every tool once): marked `slow`, and run in CI like every other test.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_URL
from tests.support import databases

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent
BIN = VENV / "bin"
GENERATED_TESTS = ["tests/unit/widgets", "tests/api/widgets", "tests/integration/widgets"]
# The shared tests a new resource must satisfy: the document, the reference, limits, bodies, settings.
SHARED_TESTS = [
    "tests/api/test_openapi_committed.py",
    "tests/api/test_openapi_document.py",
    "tests/unit/test_api_reference.py",
    "tests/unit/config/test_documented_settings.py",
    "tests/unit/test_architecture_doc.py",
    "tests/api/edge/test_hostile_bodies.py",
    "tests/api/edge/test_rate_limits.py::test_every_declared_limit_is_in_the_reference",
    "tests/api/edge/test_rate_limits.py::test_the_stricter_limits_are_those_the_routes_declare",
    "tests/api/test_contract_fuzz.py",
]


def run(copy: Path, *command: str | Path, timeout: int = 900, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=copy,
        env={**os.environ, "APP_ENV": "development", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout[-6000:]}"
    return result.stdout


def make(copy: Path, *targets: str) -> str:
    """A Makefile target in the copy, with this checkout's virtualenv (`-o install`: no reinstall)."""
    return run(copy, "make", "--no-print-directory", "-o", "install", f"VENV={VENV}", *targets)


def copy_of_repository(target: Path) -> Path:
    """The repository's files as git sees them (committed or not, ignored files left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            (target / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            (target / os.fsdecode(name)).write_bytes(source.read_bytes())
    return target


def digest(tree: Path) -> str:
    """Every file's path and content under `tree`, caches left out."""
    hashed = hashlib.sha256()
    for path in sorted(tree.rglob("*")):
        if path.is_file() and not any(
            part.endswith("_cache") or part == "__pycache__" for part in path.parts
        ):
            hashed.update(str(path.relative_to(tree)).encode() + b"\0" + path.read_bytes())
    return hashed.hexdigest()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = copy_of_repository(tmp_path_factory.mktemp("generated"))
    output = make(copy, "resource", "NAME=widgets")
    assert "created app/widgets/routes.py" in output, output
    make(copy, "openapi")
    return copy


def test_the_generated_project_passes_lint_format_import_rules_and_types(generated: Path) -> None:
    run(generated, BIN / "ruff", "check", ".")
    run(generated, BIN / "ruff", "format", "--check", ".")
    run(generated, BIN / "lint-imports")
    run(generated, BIN / "mypy")
    # The generated fakes must satisfy the port they stand in for, as tests/fakes.py does.
    run(generated, BIN / "mypy", "tests/unit/widgets", "tests/api/widgets", "tests/integration/widgets")


def test_the_generated_tests_and_the_shared_ones_pass(generated: Path) -> None:
    output = run(
        generated,
        BIN / "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *GENERATED_TESTS,
        *SHARED_TESTS,
        timeout=1800,
    )
    if PG_URL:
        assert "[postgresql]" in run(generated, BIN / "pytest", "--collect-only", "-q", "tests/api/widgets")
    assert " passed" in output, output[-3000:]
    assert "failed" not in output, output[-3000:]


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_the_generated_migration_matches_the_model_and_downgrades(
    generated: Path, tmp_path: Path, backend_name: str
) -> None:
    if backend_name == "postgresql":
        if not PG_URL:
            pytest.skip("TEST_DATABASE_URL is not set (CI sets it)")
        url = databases.create_pg_database(PG_URL, prefix="keel_resource")
    else:
        url = databases.sqlite_url(tmp_path / "keel.db")
    env = {name: str(value) for name, value in databases.base_overrides(url).items()}
    try:
        run(generated, BIN / "flask", "--app", "wsgi", "db", "upgrade", env=env)
        assert "widgets" in tables(url)
        # Autogenerate against the upgraded database finds nothing: the migration is the model.
        before = sorted((generated / "migrations" / "versions").iterdir())
        output = run(generated, BIN / "flask", "--app", "wsgi", "db", "migrate", "-m", "nothing", env=env)
        assert "No changes in schema detected" in output, output
        assert sorted((generated / "migrations" / "versions").iterdir()) == before
        run(generated, BIN / "flask", "--app", "wsgi", "db", "downgrade", "--", "-1", env=env)
        assert "widgets" not in tables(url)
        assert "users" in tables(url)
    finally:
        if backend_name == "postgresql":
            databases.drop_pg_database(url)


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_generated_routes_are_served(generated: Path) -> None:
    routes = run(generated, BIN / "flask", "--app", "wsgi", "routes")

    assert "/api/v1/widgets/<uuid:widget_id>" in routes
    assert "widgets.Widgets" in routes


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("users", "already"),
        ("widgets", "already"),
        ("sessions", "already"),
        ("../x", "not a usable name"),
        ("Widgets", "not a usable name"),
        ("widgets;rm", "not a usable name"),
        ("", "not a usable name"),
        ("classes", "keyword"),
        ("lists", "builtin"),
        ("widget", "does not read as a plural"),
    ],
)
def test_a_taken_or_unsafe_name_is_refused_and_writes_nothing(
    generated: Path, name: str, reason: str
) -> None:
    before = digest(generated)

    result = subprocess.run(
        [BIN / "flask", "--app", "wsgi", "resource", "new", name],
        cwd=generated,
        env={**os.environ, "APP_ENV": "development"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert reason in result.stderr, result.stderr
    assert "Nothing was written." in result.stderr
    assert "Traceback" not in result.stderr
    assert digest(generated) == before
