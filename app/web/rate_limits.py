"""Rate limiting: limits declared on the routes they guard, shared through Redis, never off when Redis is.

A route declares its stricter limit with `@rate_limit(lambda limits: limits.ratelimit_login_ip)` as
its outermost decorator; the setting is read when the app is built. Every other API route gets
RATELIMIT_DEFAULT per client address (an IPv6 client's /64, see `client_key`), or per API key for
a request that presents a valid one (`caller_key`). The limit wraps the
whole view, so requests whose body fails validation are counted too.

flask-limiter's own fallback swaps every limit for one generic in-memory limit, and re-raises in
requests racing its switch; `swallow_errors` would switch limits off. The storage is instead
`FailoverStorage` (app.web.limit_storage): Redis while it answers, per-process counters for every
configured limit (login throttling included) while it does not, so no request sees a storage error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, request
from flask_limiter import Limiter

from app.config import Settings
from app.domain.clients import limit_key
from app.web.auth_guard import api_key_caller
from app.web.cors import is_preflight
from app.web.limit_storage import failover_uri
from app.web.paths import is_api_path

log = logging.getLogger("keel.rate_limits")

F = TypeVar("F", bound=Callable[..., Any])
_DECLARED = "__keel_rate_limits__"


def client_address() -> str:
    """The real client, normalised (app.web.proxies has applied TRUSTED_PROXIES hops)."""
    return request.remote_addr or "unknown"


def client_key() -> str:
    """What every per-address limit, and an anonymous Idempotency-Key, belongs to: an IPv6 client's /64."""
    return limit_key(client_address())


def caller_key() -> str:
    """The default limit's key: a valid API key's own id (each key its own allowance), else the address."""
    caller = api_key_caller()
    if caller is not None and caller.api_key_id is not None:
        return f"api-key:{caller.api_key_id}"
    return client_key()


@dataclass(frozen=True)
class RouteLimit:
    """A limit a route declares: which setting holds it, how requests are keyed and counted."""

    setting: Callable[[Settings], str]
    key_func: Callable[[], str] = client_key
    exempt_when: Callable[[], bool] | None = None
    scope: str | None = None


def rate_limit(
    setting: Callable[[Settings], str],
    *,
    key_func: Callable[[], str] = client_key,
    exempt_when: Callable[[], bool] | None = None,
    scope: str | None = None,
) -> Callable[[F], F]:
    """Declare a limit on a view method; `init_rate_limits` applies it to the app being built.

    Every request the limit applies to is counted before the view runs. (flask-limiter's
    `deduct_when` is not offered: it tests before and counts after, so parallel requests all pass.)
    """

    def declare(view: F) -> F:
        declared: tuple[RouteLimit, ...] = getattr(view, _DECLARED, ())
        limit = RouteLimit(setting=setting, key_func=key_func, exempt_when=exempt_when, scope=scope)
        setattr(view, _DECLARED, (limit, *declared))  # in the order they read, top down
        return view

    return declare


def declared_limits(app: Flask) -> Iterator[tuple[str, str, RouteLimit]]:
    """(endpoint, HTTP method, limit) for every limit declared on the app's method views."""
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        for method in sorted(getattr(view_class, "methods", None) or ()):
            handler = getattr(view_class, method.lower(), None)
            for limit in getattr(handler, _DECLARED, ()):
                yield endpoint, method, limit


def init_rate_limits(app: Flask, settings: Settings) -> Limiter:
    """Bind a limiter to this app and apply every limit its routes declare."""
    limiter = Limiter(
        key_func=caller_key,
        app=app,
        default_limits=[settings.ratelimit_default],
        storage_uri=failover_uri(settings.redis_url) if settings.redis_url else "memory://",
        storage_options=_storage_options(settings),
        strategy="moving-window",
        headers_enabled=True,
        enabled=settings.ratelimit_enabled,
        key_prefix="keel",
    )
    limiter.request_filter(lambda: not is_api_path(request.path))
    # A browser sends one before its real request, which is counted; counting both halves the limit.
    limiter.request_filter(is_preflight)
    for endpoint, method, route_limit in list(declared_limits(app)):
        apply = limiter.limit(
            route_limit.setting(settings),
            key_func=route_limit.key_func,
            exempt_when=route_limit.exempt_when,
            scope=route_limit.scope,
            methods=[method],
            # A limit that exempts some requests leaves them under the default one, not unlimited.
            override_defaults=route_limit.exempt_when is None,
        )
        app.view_functions[endpoint] = apply(app.view_functions[endpoint])  # type: ignore[assignment]
    return limiter


def storage_check(limiter: Limiter) -> Callable[[], None]:
    """A readiness probe of the shared limit storage."""

    def check() -> None:
        if not limiter.storage.check():
            raise ConnectionError("redis did not answer")

    return check


def _storage_options(settings: Settings) -> dict[str, Any]:
    if settings.redis_url is None:
        return {}
    timeout = settings.redis_timeout_seconds
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout, "health_check_interval": 30}
