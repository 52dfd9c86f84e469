"""`make resource NAME=widgets`, run in a copy of the repository: it writes and edits the files it
names, its migration is the model on SQLite and PostgreSQL and goes back down, and its tests pass
there (the repository contract and the PostgreSQL race test included); a taken or unsafe name is
refused and writes nothing.

What a developer's `make test` should catch quickly. The rest (lint, types, the OpenAPI document
and every test the generation can break, in a generated copy) is CI's .ci/generated-resource. Marked `slow`.
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
# CI's copy (.ci/generated-resource) already holds widgets: there this test adds a second resource.
NAME, SINGULAR = ("gadgets", "gadget") if (ROOT / "app" / "widgets").exists() else ("widgets", "widget")
GENERATED_TESTS = [f"tests/unit/{NAME}", f"tests/api/{NAME}", f"tests/integration/{NAME}"]


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
def generation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    copy = copy_of_repository(tmp_path_factory.mktemp("generated"))
    return copy, make(copy, "resource", f"NAME={NAME}")


@pytest.fixture(scope="module")
def generated(generation: tuple[Path, str]) -> Path:
    return generation[0]


def test_the_generator_writes_and_edits_what_it_names(generation: tuple[Path, str]) -> None:
    copy, output = generation
    created = [line.split()[1] for line in output.splitlines() if line.startswith("created ")]
    edited = [line.split()[1] for line in output.splitlines() if line.startswith("edited ")]

    assert f"app/{NAME}/routes.py" in created
    assert f"tests/integration/{NAME}/test_{SINGULAR}_races.py" in created
    assert all((copy / path).is_file() for path in created)
    assert {"app/composition.py", "tests/contracts.py", "docs/api.md"} <= set(edited)
    # Registered in the shared repository contract, beside any resource generated before.
    assert f"sql=Sql{SINGULAR.capitalize()}Repository" in (copy / "tests/contracts.py").read_text()


def test_the_generated_tests_pass_on_sqlite_and_postgresql(generated: Path) -> None:
    contract = ["tests/integration/test_owned_repositories.py", "-k", NAME]
    output = run(
        generated, BIN / "pytest", "-q", "-p", "no:cacheprovider", *GENERATED_TESTS, *contract, timeout=900
    )

    assert " passed" in output, output[-3000:]
    assert "failed" not in output, output[-3000:]
    if PG_URL:
        collected = run(generated, BIN / "pytest", "--collect-only", "-q", *GENERATED_TESTS, *contract)
        assert f"test_owned_repositories.py::test_delete_removes_the_row[postgresql-{NAME}-fake]" in collected
        assert f"test_parallel_patches_with_one_if_match_change_the_{SINGULAR}_once[postgresql-" in collected


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
        assert NAME in tables(url)
        # Autogenerate against the upgraded database finds nothing: the migration is the model.
        before = sorted((generated / "migrations" / "versions").iterdir())
        output = run(generated, BIN / "flask", "--app", "wsgi", "db", "migrate", "-m", "nothing", env=env)
        assert "No changes in schema detected" in output, output
        assert sorted((generated / "migrations" / "versions").iterdir()) == before
        run(generated, BIN / "flask", "--app", "wsgi", "db", "downgrade", "--", "-1", env=env)
        assert NAME not in tables(url)
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


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        # One of each reason end to end; tests/unit/test_resource_scaffold.py tries many more names.
        ("users", "already"),
        (NAME, "already"),
        ("../x", "not a usable name"),
        ("widgets;rm", "not a usable name"),
        ("classes", "keyword"),
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
