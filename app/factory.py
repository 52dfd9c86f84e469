"""The application factory: reads like a table of contents of what a Keel process is made of."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_limiter import Limiter

from app import composition
from app import models as _models  # noqa: F401 - every table on the metadata before anything reads it
from app.api_keys.routes import blp as api_keys_blp
from app.audit.routes import blp as audit_blp
from app.auth import jwt_callbacks
from app.auth.routes import AUTH_PATH
from app.auth.routes import blp as auth_blp
from app.cli.audit import audit_cli
from app.cli.auth import auth_cli
from app.cli.idempotency import idempotency_cli
from app.cli.keys import keys_cli
from app.cli.outbox import outbox_cli
from app.cli.resource import resource_cli
from app.cli.spec import spec_cli
from app.cli.users import users_cli
from app.cli.worker import worker_command
from app.config import Settings, load_settings
from app.extensions import db, jwt, migrate
from app.health.routes import blp as health_blp
from app.keys.routes import blp as keys_blp
from app.observability import access_log, metrics, request_timer, tracing
from app.observability.structured_logging import configure_logging
from app.persistence.engine import enable_sqlite_pragmas, engine_options
from app.users.routes import blp as users_blp
from app.web import content_type, cors, error_handlers, request_id, security_headers, swagger_ui
from app.web.api import ProblemApi
from app.web.auth_guard import API_KEY_SCHEME, install_api_key_loader
from app.web.chunked_bodies import BoundedChunkedBodies
from app.web.json_provider import OrjsonProvider
from app.web.proxies import TrustedProxies
from app.web.rate_limits import init_rate_limits

# The API's blueprints, in the order the OpenAPI document lists them.
FEATURE_BLUEPRINTS = (
    health_blp,
    keys_blp,
    auth_blp,
    users_blp,
    audit_blp,
    api_keys_blp,
    # make resource: generated blueprints above this line
)

API_TITLE = "Keel"
API_VERSION = "1.1.0"


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build a Keel app; `overrides` take the place of environment variables of the same name."""
    app = Flask("app", static_folder=None)
    settings = load_settings(overrides, instance_path=app.instance_path)
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    _configure(app, settings)
    _register_extensions(app)
    _register_blueprints(app, ProblemApi(app), docs=settings.api_docs_enabled)
    _register_hooks(app)
    limiter = _register_edge(app, settings)
    error_handlers.register(app)
    _register_cli(app)
    with app.app_context():
        composition.install(
            app, composition.build_container(settings, app=app, limiter=limiter, engine=db.engine)
        )
    install_api_key_loader(app, lambda presented: composition.container().load_api_key_caller(presented))
    return app


def _configure(app: Flask, settings: Settings) -> None:
    app.json = OrjsonProvider(app)
    app.config.update(
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
        # Relative: a client resolves it against wherever it fetched the document (or the base URL
        # it is given), so no generated client bakes in a host (docs/api.md, Versioning).
        API_SPEC_OPTIONS={"servers": [{"url": "/", "description": "This Keel instance"}]},
        # None serves neither the document nor Swagger UI (API_DOCS_ENABLED=false).
        OPENAPI_URL_PREFIX="/" if settings.api_docs_enabled else None,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL=swagger_ui.SWAGGER_ASSETS_URL,
        **_jwt_config(settings),
    )
    if settings.is_sqlite:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def _jwt_config(settings: Settings) -> dict[str, Any]:
    return {
        "JWT_SECRET_KEY": settings.jwt_secret_key,
        "JWT_ALGORITHM": "HS256",
        "JWT_DECODE_ALGORITHMS": ["HS256"],
        # Lifetimes are not configured here: the token issuer sets each token's from Settings.
        "JWT_TOKEN_LOCATION": ["headers", "cookies"],
        "JWT_REFRESH_COOKIE_PATH": AUTH_PATH,
        # Readable by the front end (it echoes it in X-CSRF-TOKEN), so not scoped to the API path.
        "JWT_REFRESH_CSRF_COOKIE_PATH": "/",
        "JWT_COOKIE_SAMESITE": "Strict",
        "JWT_COOKIE_SECURE": settings.app_env != "development",
        "JWT_COOKIE_CSRF_PROTECT": True,
        "JWT_CSRF_CHECK_FORM": False,
        "JWT_SESSION_COOKIE": False,
    }


def _register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        enable_sqlite_pragmas(db.engine)
        metrics.track_pool(db.engine)
        if tracing.configure_from_environment():
            tracing.instrument(app, db.engine)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    jwt.init_app(app)
    jwt_callbacks.register(jwt)


def _register_blueprints(app: Flask, api: ProblemApi, *, docs: bool) -> None:
    if docs:
        app.register_blueprint(swagger_ui.assets)
        app.register_blueprint(swagger_ui.own)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    api.spec.components.security_scheme("apiKeyAuth", API_KEY_SCHEME)
    api.spec.components.security_scheme(
        "refreshCookie", {"type": "apiKey", "in": "cookie", "name": "refresh_token_cookie"}
    )
    for blueprint in FEATURE_BLUEPRINTS:
        api.register_blueprint(blueprint)


def _register_edge(app: Flask, settings: Settings) -> Limiter:
    """Client address, body size, security headers, CORS and rate limits: what guards the edge."""
    app.wsgi_app = BoundedChunkedBodies(  # type: ignore[method-assign]
        app.wsgi_app, max_bytes=settings.max_content_length
    )
    # Always: even without proxies, every address reaches the app in one normalised form.
    app.wsgi_app = TrustedProxies(  # type: ignore[method-assign]
        app.wsgi_app, hops=settings.trusted_proxies, allowed=settings.forwarded_allow_ips
    )
    # Registered before the limiter so it runs after it and sees its headers.
    security_headers.register(app, hsts_seconds=settings.hsts_seconds)
    cors.register(app, settings.cors_origins)
    limiter = init_rate_limits(app, settings)
    content_type.register(app)
    return limiter


def _register_hooks(app: Flask) -> None:
    request_timer.register(app)
    request_id.register(app)
    metrics.register(app)
    access_log.register(app)


def _register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(auth_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(spec_cli)
    app.cli.add_command(idempotency_cli)
    app.cli.add_command(resource_cli)
