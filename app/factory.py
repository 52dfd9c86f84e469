"""The application factory: reads like a table of contents of what a Keel process is made of."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from app import docs
from app.config import Settings, load_settings
from app.core import access_log, error_handlers, request_context
from app.core.api import ProblemApi
from app.core.db import enable_sqlite_pragmas, engine_options
from app.core.json import OrjsonProvider
from app.core.logging import configure_logging
from app.extensions import db, migrate

API_TITLE = "Keel"
API_VERSION = "1.0.0"


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build a Keel app; `overrides` take the place of environment variables of the same name."""
    app = Flask("app", static_folder=None)
    settings = load_settings(overrides, instance_path=app.instance_path)
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    _configure(app, settings)
    _register_extensions(app, settings)
    _register_blueprints(app, ProblemApi(app))
    _register_hooks(app)
    error_handlers.register(app)
    return app


def settings_of(app: Flask) -> Settings:
    settings: Settings = app.config["KEEL_SETTINGS"]
    return settings


def _configure(app: Flask, settings: Settings) -> None:
    app.json = OrjsonProvider(app)
    app.config.update(
        KEEL_SETTINGS=settings,
        TESTING=settings.app_env == "test",
        MAX_CONTENT_LENGTH=settings.max_content_length,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(
            settings.database_url,
            connect_timeout=settings.db_connect_timeout_seconds,
            statement_timeout_ms=settings.db_statement_timeout_ms,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_seconds,
        ),
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL=docs.SWAGGER_ASSETS_URL,
    )
    if settings.is_sqlite:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def _register_extensions(app: Flask, settings: Settings) -> None:
    from app import models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    with app.app_context():
        enable_sqlite_pragmas(db.engine)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))


def _register_blueprints(app: Flask, api: ProblemApi) -> None:
    from app.health.routes import blp as health_blp

    app.register_blueprint(docs.assets)
    app.register_blueprint(docs.own)
    api.register_blueprint(health_blp)


def _register_hooks(app: Flask) -> None:
    request_context.register(app)
    access_log.register(app)
