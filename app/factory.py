"""The application factory: reads like a table of contents of what a Keel process is made of."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from app import docs
from app.auth import jwt_callbacks
from app.config import Settings, load_settings
from app.core import (
    access_log,
    content_type,
    error_handlers,
    metrics,
    request_context,
    security_headers,
    tracing,
)
from app.core.api import ProblemApi
from app.core.db import enable_sqlite_pragmas, engine_options
from app.core.json import OrjsonProvider
from app.core.logging import configure_logging
from app.core.passwords import Argon2PasswordHasher
from app.core.rate_limits import init_rate_limits
from app.extensions import db, jwt, migrate

API_TITLE = "Keel"
API_VERSION = "1.0.0"
CORS_ALLOW_HEADERS = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "X-CSRF-TOKEN",
    "X-Request-ID",
]
CORS_EXPOSE_HEADERS = [
    "ETag",
    "Link",
    "Location",
    "Retry-After",
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
]


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build a Keel app; `overrides` take the place of environment variables of the same name."""
    app = Flask("app", static_folder=None)
    settings = load_settings(overrides, instance_path=app.instance_path)
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    _configure(app, settings)
    _register_extensions(app, settings)
    _register_blueprints(app, ProblemApi(app))
    _register_hooks(app)
    _register_edge(app, settings)
    error_handlers.register(app)
    _register_cli(app)
    return app


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
        **_jwt_config(settings),
    )
    if settings.is_sqlite:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def _jwt_config(settings: Settings) -> dict[str, Any]:
    return {
        "JWT_SECRET_KEY": settings.jwt_secret_key,
        "JWT_ALGORITHM": "HS256",
        "JWT_DECODE_ALGORITHMS": ["HS256"],
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(seconds=settings.jwt_access_ttl_seconds),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(seconds=settings.jwt_refresh_ttl_seconds),
        "JWT_TOKEN_LOCATION": ["headers", "cookies"],
        "JWT_REFRESH_COOKIE_PATH": "/api/v1/auth",
        # Readable by the front end (it echoes it in X-CSRF-TOKEN), so not scoped to the API path.
        "JWT_REFRESH_CSRF_COOKIE_PATH": "/",
        "JWT_COOKIE_SAMESITE": "Strict",
        "JWT_COOKIE_SECURE": settings.app_env != "development",
        "JWT_COOKIE_CSRF_PROTECT": True,
        "JWT_CSRF_CHECK_FORM": False,
        "JWT_SESSION_COOKIE": False,
    }


def _register_extensions(app: Flask, settings: Settings) -> None:
    from app import models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    with app.app_context():
        enable_sqlite_pragmas(db.engine)
        metrics.track_pool(db.engine)
        if tracing.configure_from_environment():
            tracing.instrument(app, db.engine)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    jwt.init_app(app)
    jwt_callbacks.register(jwt)
    app.extensions["keel.password_hasher"] = Argon2PasswordHasher(
        time_cost=settings.password_time_cost,
        memory_kib=settings.password_memory_kib,
        parallelism=settings.password_parallelism,
    )


def _register_blueprints(app: Flask, api: ProblemApi) -> None:
    from app.auth.routes import blp as auth_blp
    from app.health.routes import blp as health_blp
    from app.users.routes import blp as users_blp

    app.register_blueprint(docs.assets)
    app.register_blueprint(docs.own)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    api.spec.components.security_scheme(
        "refreshCookie", {"type": "apiKey", "in": "cookie", "name": "refresh_token_cookie"}
    )
    for blueprint in (health_blp, auth_blp, users_blp):
        api.register_blueprint(blueprint)


def _register_edge(app: Flask, settings: Settings) -> None:
    """Client address, security headers, CORS and rate limits: what guards the edge."""
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )
    # Registered before the limiter so it runs after it and sees its headers.
    security_headers.register(app, hsts_seconds=settings.hsts_seconds)
    if settings.cors_origins:
        CORS(
            app,
            resources={r"/api/*": {"origins": list(settings.cors_origins)}},
            supports_credentials=True,
            allow_headers=CORS_ALLOW_HEADERS,
            expose_headers=CORS_EXPOSE_HEADERS,
            max_age=600,
        )
    init_rate_limits(app, settings)
    content_type.register(app)


def _register_hooks(app: Flask) -> None:
    request_context.register(app)
    metrics.register(app)
    access_log.register(app)


def _register_cli(app: Flask) -> None:
    from app.cli.auth import auth_cli
    from app.cli.users import users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(auth_cli)
