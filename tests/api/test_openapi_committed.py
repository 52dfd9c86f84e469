"""docs/openapi.json is the document Keel serves: clients generate from the file, so it may not drift.

After changing the API, `make openapi` rewrites the file; this test fails until it is committed.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.web.openapi_file import COMMITTED_PATH, document_of, render


def differences(served: Any, committed: Any, where: str = "") -> list[str]:
    """Where two documents part, as JSON paths: the test's message names what to look at."""
    if isinstance(served, dict) and isinstance(committed, dict):
        found: list[str] = []
        for key in sorted(served.keys() | committed.keys()):
            if key not in committed:
                found.append(f"{where}/{key}: only in the served document")
            elif key not in served:
                found.append(f"{where}/{key}: only in the committed file")
            else:
                found += differences(served[key], committed[key], f"{where}/{key}")
        return found
    if isinstance(served, list) and isinstance(committed, list) and len(served) == len(committed):
        return [
            d
            for i, (a, b) in enumerate(zip(served, committed, strict=True))
            for d in differences(a, b, f"{where}/{i}")
        ]
    return [] if served == committed else [f"{where}: served {served!r:.80}, committed {committed!r:.80}"]


def committed() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(COMMITTED_PATH.read_text(encoding="utf-8"))
    return document


def test_the_served_document_is_the_committed_one(client: FlaskClient) -> None:
    served = client.get("/openapi.json").get_json()
    found = differences(served, committed())
    assert found == [], "docs/openapi.json is stale; run `make openapi` and commit it:\n" + "\n".join(
        found[:20]
    )


def test_the_committed_file_is_the_rendering_make_openapi_writes(app: Flask) -> None:
    assert COMMITTED_PATH.read_text(encoding="utf-8") == render(document_of(app))


def test_a_deliberate_change_to_the_api_is_caught(client: FlaskClient) -> None:
    served = copy.deepcopy(client.get("/openapi.json").get_json())
    served["components"]["schemas"]["User"]["properties"]["nickname"] = {"type": "string"}
    del served["paths"]["/api/v1/auth/logout-all"]
    assert differences(served, committed()) == [
        "/components/schemas/User/properties/nickname: only in the served document",
        "/paths//api/v1/auth/logout-all: only in the committed file",
    ]
