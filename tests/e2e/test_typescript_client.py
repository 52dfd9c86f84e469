"""A TypeScript client typed from the served OpenAPI document compiles under `tsc --strict` and runs.

openapi-typescript turns the document into types and openapi-fetch calls Keel through them, so a
TypeScript caller's compiler holds every path, body, response and problem code to the document.
The typed flow in tests/e2e/typescript is compiled against types generated from the served document,
then run with Node against the served Keel. A copy with a misspelt problem code must not compile:
the document lists the codes a problem's `code` may take, so one it does not list is a type error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.served import ServedKeel
from tests.e2e.stack import ROOT, call
from tests.support.accounts import DEFAULT_PASSWORD, unique_email
from tests.support.tools import require_program

FLOW = ROOT / "tests" / "e2e" / "typescript"
NODE_BIN = ROOT / "node_modules" / ".bin"
TYPED_CODE = '"invalid_credentials"'
MISSPELT_CODE = '"invalid_credentialz"'


def require_node_tools() -> None:
    """node and npm, and the pinned packages installed from package-lock.json (as for Optic)."""
    require_program("node", install="apt-get install nodejs npm")
    require_program("npm", install="apt-get install nodejs npm")
    installed = subprocess.run(
        ["make", "-s", "node_modules/.installed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr


# Redocly's recommended-rule warnings docs/api.md accepts (no licence; no 4xx on bodiless public reads).
ACCEPTED_WARNINGS = {
    "Info object should contain `license` field. at #/info",
    *(
        f"Operation must have at least one `4XX` response. at #/paths/{path}/get/responses"
        for path in (
            "~1health",
            "~1ready",
            "~1.well-known~1jwks.json",
            "~1.well-known~1oauth-authorization-server",
        )
    ),
}


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=180, check=False
    )


def generate_types(document: Path, output: Path) -> None:
    """openapi-typescript, the pinned one, from a document file to a file of types."""
    result = run(NODE_BIN / "openapi-typescript", document, "--output", output, cwd=ROOT)
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed
    # It marks a warning (an unresolved $ref, a problem its Redocly lint finds) with a sign: none
    # but the lint warnings docs/api.md accepts.
    warnings = {line.split("\u26a0", 1)[1].strip() for line in printed.splitlines() if "\u26a0" in line}
    assert warnings <= ACCEPTED_WARNINGS, printed


@dataclass(frozen=True)
class Project:
    """A folder tsc and node read like the repository: the flow, the types beside it, node_modules."""

    folder: Path

    @classmethod
    def create(cls, folder: Path, types: Path, flow: str) -> Project:
        folder.mkdir()
        # keel.ts, not keel.d.ts: tsc checks it as source (skipLibCheck skips only node_modules).
        shutil.copyfile(types, folder / "keel.ts")
        (folder / "flow.mts").write_text(flow, encoding="utf-8")
        # The committed tsconfig.json (strict) decides the checks; this one only makes tsc emit.
        config = {
            "extends": str(FLOW / "tsconfig.json"),
            "compilerOptions": {"noEmit": False, "outDir": "out"},
            "files": ["flow.mts"],
        }
        (folder / "tsconfig.json").write_text(json.dumps(config), encoding="utf-8")
        (folder / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
        return cls(folder)

    def compile(self) -> subprocess.CompletedProcess[str]:
        return run(NODE_BIN / "tsc", "--strict", "-p", self.folder, cwd=self.folder)

    def run_flow(self, base_url: str, email: str, password: str) -> subprocess.CompletedProcess[str]:
        """The compiled accountFlow under Node (its global fetch), printing what it returned as JSON."""
        entry = (
            'const { accountFlow } = await import("./out/flow.mjs");'
            "const [baseUrl, email, password] = process.argv.slice(1);"
            "console.log(JSON.stringify(await accountFlow(baseUrl, email, password)));"
        )
        return run("node", "--input-type=module", "-e", entry, base_url, email, password, cwd=self.folder)


def flow_source() -> str:
    return (FLOW / "flow.mts").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def node_tools() -> None:
    """Before Keel is served: without Node there is nothing to serve it for."""
    require_node_tools()


@pytest.fixture(scope="module")
def types(node_tools: None, tmp_path_factory: pytest.TempPathFactory, served: ServedKeel) -> Path:
    """The types generated from the document the served Keel gives its callers."""
    folder = tmp_path_factory.mktemp("typescript")
    reply = call(served.port, "GET", "/openapi.json")
    assert reply.status == 200, reply.body[:500]
    document = folder / "openapi.json"
    document.write_bytes(reply.body)
    generate_types(document, folder / "keel.ts")
    return folder / "keel.ts"


@pytest.fixture(scope="module")
def compiled(types: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str]:
    """The committed flow compiled once (tsc takes seconds): the project and what tsc printed."""
    project = Project.create(tmp_path_factory.mktemp("flow") / "project", types, flow_source())
    result = project.compile()
    return project, f"exit {result.returncode}\n{result.stdout}{result.stderr}"


def test_the_typed_flow_compiles_under_strict(compiled: tuple[Project, str]) -> None:
    project, printed = compiled

    assert printed == "exit 0\n"
    assert (project.folder / "out" / "flow.mjs").is_file()


def test_the_compiled_flow_runs_the_account_flow_against_keel(
    compiled: tuple[Project, str], served: ServedKeel
) -> None:
    project, printed = compiled
    assert printed == "exit 0\n"
    email = unique_email("typescript")

    result = project.run_flow(served.base_url, email, DEFAULT_PASSWORD)

    assert result.returncode == 0, f"{result.stdout}{result.stderr}\n{served.log_tail()}"
    outcome: dict[str, Any] = json.loads(result.stdout)
    assert outcome["registered"]["email"] == email
    assert outcome["me"]["email"] == email
    assert outcome["me"]["id"] == outcome["registered"]["id"]
    assert outcome["wrongPasswordCode"] == "invalid_credentials"


def test_a_misspelt_problem_code_does_not_compile(types: Path, tmp_path: Path) -> None:
    """The document lists every problem code, so comparing with one it does not list is a type error."""
    source = flow_source()
    assert source.count(TYPED_CODE) == 1, "the flow branches on invalid_credentials exactly once"
    project = Project.create(tmp_path / "misspelt", types, source.replace(TYPED_CODE, MISSPELT_CODE))

    result = project.compile()

    printed = result.stdout + result.stderr
    assert result.returncode != 0, "tsc accepted a problem code the document does not name"
    # TS2367: the comparison has no overlap, i.e. the misspelling itself is the error.
    assert "TS2367" in printed, printed
    assert "invalid_credentialz" in printed, printed
