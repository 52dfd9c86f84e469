"""`make openapi-lint`: Redocly's recommended rules find no error in the committed document.

The committed document is the served one (tests/api/test_openapi_committed.py), so this lints what
clients get. Its accepted warnings are listed in docs/api.md; an error fails here and in CI.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from app.web.openapi_file import COMMITTED_PATH
from tests.support.tools import require_program

ROOT = COMMITTED_PATH.parents[1]
_ERROR = re.compile(r"^\s*\d+:\d+\s+error\s+(\S+)", flags=re.MULTILINE)


@pytest.fixture(autouse=True)
def _node() -> None:
    require_program("npm", install="Node.js 20.19+ with npm")


def lint(document: Path) -> tuple[int, str, list[str]]:
    """The make target's exit status, its output, and the rule of each error it reports."""
    run = subprocess.run(
        ["make", "-s", "openapi-lint", f"OPENAPI_LINT={document}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = run.stdout + run.stderr
    return run.returncode, output, _ERROR.findall(output)


def test_the_committed_document_has_no_error() -> None:
    status, output, errors = lint(COMMITTED_PATH)
    assert (status, errors) == (0, []), output[-3000:]
    assert "validating" in output


def test_an_error_fails_the_target(tmp_path: Path) -> None:
    """The gate is live: a document with an empty `servers` (a rule of the ruleset) is refused."""
    document = json.loads(COMMITTED_PATH.read_text(encoding="utf-8"))
    document["servers"] = []
    broken = tmp_path / "openapi.json"
    broken.write_text(json.dumps(document), encoding="utf-8")

    status, output, errors = lint(broken)

    assert status != 0, output[-3000:]
    assert "no-empty-servers" in errors
