"""`make openapi-check` (Optic) fails on each kind of breaking change and passes additive ones.

Each case edits a copy of the committed document the way a careless change to the API would, and
runs the same make target a developer and CI run, with the committed document as the release.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from app.web.openapi_file import COMMITTED_PATH
from tests.support.tools import require_program

ROOT = COMMITTED_PATH.parents[1]
Edit = Callable[[dict[str, Any]], None]


def _schemas(document: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


def remove_operation(document: dict[str, Any]) -> None:
    del document["paths"]["/api/v1/auth/logout-all"]


def remove_response_field(document: dict[str, Any]) -> None:
    user = _schemas(document)["User"]
    del user["properties"]["email_verified"]
    user["required"].remove("email_verified")


def require_request_field(document: dict[str, Any]) -> None:
    _schemas(document)["UserUpdate"]["required"] = ["name"]


def require_query_parameter(document: dict[str, Any]) -> None:
    for parameter in document["paths"]["/api/v1/users"]["get"]["parameters"]:
        if parameter["name"] == "limit":
            parameter["required"] = True


def narrow_request_type(document: dict[str, Any]) -> None:
    _schemas(document)["UserUpdate"]["properties"]["name"]["type"] = "integer"


def narrow_request_enum(document: dict[str, Any]) -> None:
    _schemas(document)["UserCreate"]["properties"]["role"]["enum"] = ["user"]


def add_optional_field_and_operation(document: dict[str, Any]) -> None:
    _schemas(document)["UserUpdate"]["properties"]["nickname"] = {"type": "string"}
    _schemas(document)["User"]["properties"]["nickname"] = {"type": "string"}
    document["paths"]["/api/v1/ping"] = {
        "get": {"operationId": "ping", "responses": {"204": {"description": "No Content"}}}
    }


BREAKING: dict[str, Edit] = {
    "removed operation": remove_operation,
    "removed response field": remove_response_field,
    "newly required request field": require_request_field,
    "newly required query parameter": require_query_parameter,
    "narrowed request type": narrow_request_type,
    "narrowed request enum": narrow_request_enum,
}


def check(base: Path, head: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "openapi-check", f"OPENAPI_BASE={base}", f"OPENAPI_HEAD={head}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every case through the check once, in parallel (Optic takes seconds per run)."""
    require_program("npm", install="apt-get install nodejs npm")
    installed = subprocess.run(
        ["make", "-s", "node_modules/.installed"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    folder = tmp_path_factory.mktemp("openapi")
    release = json.loads(COMMITTED_PATH.read_text(encoding="utf-8"))
    heads = {"unchanged": COMMITTED_PATH}
    for name, edit in {**BREAKING, "additive": add_optional_field_and_operation}.items():
        document = copy.deepcopy(release)
        edit(document)
        heads[name] = folder / f"{name.replace(' ', '-')}.json"
        heads[name].write_text(json.dumps(document), encoding="utf-8")
    with ThreadPoolExecutor(max_workers=8) as pool:
        runs = {name: pool.submit(check, COMMITTED_PATH, head) for name, head in heads.items()}
        return {name: run.result() for name, run in runs.items()}


@pytest.mark.parametrize("change", sorted(BREAKING))
def test_a_breaking_change_fails_the_check(
    checked: dict[str, subprocess.CompletedProcess[str]], change: str
) -> None:
    result = checked[change]
    assert result.returncode != 0, result.stdout
    assert "breaking change" in result.stdout


@pytest.mark.parametrize("change", ["unchanged", "additive"])
def test_a_compatible_document_passes_the_check(
    checked: dict[str, subprocess.CompletedProcess[str]], change: str
) -> None:
    result = checked[change]
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_current_document_keeps_the_last_release_working() -> None:
    require_program("npm", install="apt-get install nodejs npm")
    result = subprocess.run(
        ["make", "-s", "openapi-check"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
