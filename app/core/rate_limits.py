"""Rate limiting: one table of limits, shared through Redis, never off when Redis is.

flask-limiter's own fallback swaps every limit for one generic in-memory limit, and
`swallow_errors` alone would switch limits off; with `in_memory_fallback_enabled` and no fallback
list, every configured limit (login throttling included) keeps running on per-process counters
until Redis answers again, which flask-limiter re-checks with exponential back-off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter

from app.config import Settings

log = logging.getLogger("keel.rate_limits")

_LIMITED_PREFIX = "/api/"


def client_address() -> str:
    """The real client (ProxyFix has already applied TRUSTED_PROXIES hops)."""
    return request.remote_addr or "unknown"


def login_email() -> str:
    """Key login failures by target account, wherever they come from."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return f"login-email:{email.strip().lower()}" if isinstance(email, str) else "login-email:-"


def _failed_login(response: Response) -> bool:
    return response.status_code == 401


@dataclass(frozen=True)
class RouteLimit:
    endpoint: str
    setting: str
    key_func: Callable[[], str] = client_address
    deduct_when: Callable[[Response], bool] | None = None
    scope: str | None = None


# The stricter limits of the auth routes; every other /api route gets RATELIMIT_DEFAULT.
ROUTE_LIMITS = (
    RouteLimit("auth.Register", "ratelimit_register"),
    RouteLimit("auth.Login", "ratelimit_login_ip", scope="login-ip"),
    RouteLimit(
        "auth.Login",
        "ratelimit_login_email",
        key_func=login_email,
        deduct_when=_failed_login,
        scope="login-email",
    ),
    RouteLimit("auth.Refresh", "ratelimit_refresh"),
)


class _StorageOutageLog(logging.Filter):
    """flask-limiter warns once when it falls back; raise that to one error line per incident."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "unreachable" in message:
            record.levelno, record.levelname = logging.ERROR, "ERROR"
            record.msg, record.args = "rate limit storage unreachable: using per-process limits", None
        elif "recovered" in message:
            record.msg, record.args = "rate limit storage recovered: limits shared again", None
        return True


def init_rate_limits(app: Flask, settings: Settings) -> Limiter:
    """Bind a limiter to this app and wrap each limited endpoint's view."""
    limiter = Limiter(
        key_func=client_address,
        app=app,
        default_limits=[settings.ratelimit_default],
        storage_uri=settings.redis_url or "memory://",
        storage_options=_storage_options(settings),
        strategy="moving-window",
        headers_enabled=True,
        in_memory_fallback_enabled=settings.redis_url is not None,
        enabled=settings.ratelimit_enabled,
        key_prefix="keel",
    )
    # Route wrappers hold the limiter weakly, and a disabled limiter does not register itself.
    app.extensions["keel.limiter"] = limiter
    limiter.request_filter(lambda: not request.path.startswith(_LIMITED_PREFIX))
    _install_outage_log()
    for rule in ROUTE_LIMITS:
        view = app.view_functions[rule.endpoint]
        limit = limiter.limit(
            getattr(settings, rule.setting),
            key_func=rule.key_func,
            deduct_when=rule.deduct_when,
            scope=rule.scope,
        )
        app.view_functions[rule.endpoint] = limit(view)  # type: ignore[assignment]
    if settings.redis_url is not None:
        app.extensions["keel.redis_check"] = _redis_check(limiter)
    return limiter


def _storage_options(settings: Settings) -> dict[str, Any]:
    if settings.redis_url is None:
        return {}
    timeout = settings.redis_timeout_seconds
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout, "health_check_interval": 30}


def _install_outage_log() -> None:
    limiter_log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, _StorageOutageLog) for f in limiter_log.filters):
        limiter_log.addFilter(_StorageOutageLog())


def _redis_check(limiter: Limiter) -> Callable[[], None]:
    def check() -> None:
        if not limiter.storage.check():
            raise ConnectionError("redis did not answer")

    return check
