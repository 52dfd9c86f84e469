"""The import rules in pyproject.toml cover a feature nobody has named in them yet.

Each test copies `app/` and `pyproject.toml` into a temporary directory, adds a throwaway feature
package `app/notes/` (and, for some rules, one offending import elsewhere), and runs `lint-imports`
there: the copy as it stands passes, and each broken rule fails the lint under its own contract.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.support.tools import require_program

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS: list[dict[str, Any]] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
    "tool"
]["importlinter"]["contracts"]

NOTES = {
    "__init__.py": '"""Notes: a feature no import rule names."""\n',
    "models.py": "from app.persistence.base import Base\n",
    "errors.py": "from app.domain.errors import NotFound\n",
    "repository.py": "from app.notes.models import Base\n",
    "service.py": "from app.notes.errors import NotFound\n",
    "routes.py": "import flask\n\nfrom app.composition import container\nfrom app.web.blueprint import Blueprint\n",
}


def _contract(starts_with: str) -> str:
    names = [contract["name"] for contract in CONTRACTS if contract["name"].startswith(starts_with)]
    assert len(names) == 1, names
    return names[0]


# (module that gains the import, the import, the contract it breaks)
BREAKS = [
    ("app/domain/clock.py", "import app.notes.service", "Domain primitives"),
    ("app/persistence/base.py", "import app.notes.models", "Persistence imports"),
    ("app/observability/context.py", "import app.notes.service", "Observability imports"),
    ("app/config.py", "import app.notes.service", "Settings import"),
    ("app/web/problems.py", "import app.notes.service", "The HTTP edge imports"),
    ("app/web/problems.py", "import app.audit.service", "The HTTP edge imports"),
    ("app/web/problems.py", "import app.jobs.queue", "The HTTP edge imports"),
    ("app/mail/messages.py", "import app.notes.service", "Mail, the outbox"),
    ("app/outbox/service.py", "import app.notes.repository", "Mail, the outbox"),
    ("app/idempotency/repository.py", "import app.audit.service", "Mail, the outbox"),
    ("app/jobs/sweep.py", "import app.notes.service", "The job queue imports"),
    ("app/notes/service.py", "import flask", "A feature's rules"),
    ("app/notes/models.py", "import app.web.problems", "A feature's rules"),
    ("app/notes/repository.py", "import app.composition", "A feature's rules"),
    ("app/notes/errors.py", "import werkzeug", "A feature's rules"),
    ("app/notes/policy.py", "import marshmallow", "A feature's rules"),
]


@pytest.fixture(scope="module")
def lint_imports() -> str:
    beside = Path(sys.executable).with_name("lint-imports")
    if beside.is_file():
        return str(beside)
    return require_program("lint-imports", install="`make install` installs import-linter")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "app" / "notes").mkdir()
    for name, source in NOTES.items():
        (tmp_path / "app" / "notes" / name).write_text(source, encoding="utf-8")
    return tmp_path


def _lint(program: str, where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [program, "--no-cache", "--config", str(where / "pyproject.toml")],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _broken(output: str) -> list[str]:
    """The contracts a report says are broken (a long name wraps onto the next line)."""
    flat = " ".join(output.split())
    return [contract["name"] for contract in CONTRACTS if f"{contract['name']} BROKEN" in flat]


def test_a_new_feature_that_keeps_the_rules_passes(lint_imports: str, copy: Path) -> None:
    result = _lint(lint_imports, copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _broken(result.stdout) == []


@pytest.mark.parametrize(("module", "line", "contract"), BREAKS, ids=lambda value: str(value))
def test_each_rule_holds_for_a_feature_it_does_not_name(
    lint_imports: str, copy: Path, module: str, line: str, contract: str
) -> None:
    target = copy / module
    existing = target.read_text(encoding="utf-8") if target.exists() else ""
    target.write_text(f"{existing}\n{line}\n", encoding="utf-8")
    result = _lint(lint_imports, copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert _broken(result.stdout) == [_contract(contract)], result.stdout


def test_every_module_a_shared_layer_may_import_has_rules_of_its_own() -> None:
    """An ignored import opens a path only into a package whose own contract forbids every feature."""
    guarded = {
        str(source).removesuffix(".**")
        for contract in CONTRACTS
        if "app.*" in contract["forbidden_modules"]
        for source in contract["source_modules"]
    }
    opened = {
        ".".join(ignored.split("->")[1].strip().removesuffix(".**").split(".")[:2])
        for contract in CONTRACTS
        for ignored in contract.get("ignore_imports", [])
    }
    assert opened, "no contract names an allowed shared module"
    assert opened - guarded == set()
