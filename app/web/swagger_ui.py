"""Swagger UI served from local files: the docs work with no internet access."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint

SWAGGER_ASSETS_URL = "/docs/assets/"

_swagger_dist = Path(flask_swagger_ui.__file__).parent / "dist"

assets = Blueprint(
    "docs_assets", __name__, static_folder=str(_swagger_dist), static_url_path=SWAGGER_ASSETS_URL.rstrip("/")
)
own = Blueprint("docs", __name__, static_folder="static", static_url_path="/docs/static")
