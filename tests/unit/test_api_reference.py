"""docs/api.md is the reference clients read: it names every operation and every error code Keel has."""

from __future__ import annotations

import json
import re
from pathlib import Path

import app.models  # noqa: F401  (imports every feature, so every error class is defined)
from app.domain import errors
from app.web import error_handlers
from app.web.problem_codes import PROBLEM_CODES

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
DOCUMENT = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
METHODS = ("get", "post", "put", "patch", "delete")
_LITERAL_CODE = re.compile(r'_unauthorized\(\s*"(\w+)"|problem\(\s*(\d+),\s*"(\w+)"')


def _operations() -> dict[tuple[str, str], str]:
    return {
        (method.upper(), path): operation["operationId"]
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _error_classes(cls: type[errors.DomainError]) -> list[type[errors.DomainError]]:
    return [cls, *(sub for direct in cls.__subclasses__() for sub in _error_classes(direct))]


def _sent() -> set[tuple[str, int]]:
    """Every (code, status) the application's code can put in a problem: its error classes (the
    base's placeholder `error` is never raised), the handler's status mapping, and literal codes."""
    sent = {
        (error.code, error_handlers.status_for(error))
        for error in _error_classes(errors.DomainError)
        if error is not errors.DomainError
    }
    sent |= {(code, status) for status, (code, _) in error_handlers.HTTP_CODES.items()}
    for module in (ROOT / "app").rglob("*.py"):
        for match in _LITERAL_CODE.finditer(module.read_text(encoding="utf-8")):
            unauthorized, status, code = match.groups()
            sent.add((unauthorized, 401) if unauthorized else (code, int(status)))
    return sent


def _codes() -> set[str]:
    return {code for code, _ in _sent()}


def test_every_operation_has_its_section() -> None:
    headings = set(re.findall(r"^### (GET|POST|PUT|PATCH|DELETE) (\S+)$", REFERENCE, flags=re.MULTILINE))
    assert headings == set(_operations())
    missing = [op for op in _operations().values() if f"`{op}`" not in REFERENCE]
    assert missing == []


def test_every_error_code_is_in_the_reference() -> None:
    codes = _codes()
    assert {"email_taken", "token_revoked", "idempotency_key_reused", "validation_error"} <= codes
    missing = sorted(code for code in codes if f"`{code}`" not in REFERENCE)
    assert missing == []


def test_the_code_table_holds_every_code_sent_and_none_other() -> None:
    """app/web/problem_codes.py is the enum clients get: a code missing from it would break a client
    with a closed enum, and one the application never sends would be a promise it never keeps."""
    assert set(PROBLEM_CODES.items()) == _sent()


def test_the_document_declares_the_code_table_as_one_enum() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert schemas["ProblemCode"]["enum"] == list(PROBLEM_CODES)
    assert schemas["Problem"]["properties"]["code"] == {"$ref": "#/components/schemas/ProblemCode"}


def test_the_version_the_reference_names_is_the_documents() -> None:
    """docs/openapi.json is the served document (tests/api/test_openapi_committed.py proves it)."""
    named = re.findall(r"`info\.version` \(`([^`]+)`\)", REFERENCE)
    assert named == [DOCUMENT["info"]["version"]]
