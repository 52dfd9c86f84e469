"""The OpenAPI document as the repository commits it (docs/openapi.json).

One rendering, keys sorted and indented, so that regenerating an unchanged API rewrites the file
byte for byte and a review diff shows only what changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask

COMMITTED_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def document_of(app: Flask) -> dict[str, Any]:
    """The document the app serves at /openapi.json (built even when API_DOCS_ENABLED is off)."""
    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    spec: dict[str, Any] = api.spec.to_dict()
    return spec


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
