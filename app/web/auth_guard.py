"""The route guard: bearer access tokens only, the principal loaded fresh on every request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask_jwt_extended import current_user, get_current_user, jwt_required

from app.domain.principal import Principal

F = TypeVar("F", bound=Callable[..., Any])

BEARER_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def access_token_required(view: F) -> F:
    """Require a valid access token in the Authorization header (never from a cookie)."""
    return cast(F, jwt_required(locations=["headers"])(view))


def refresh_token_required(view: F) -> F:
    """Require a refresh token: a Bearer header, or the cookie together with its CSRF header."""
    return cast(F, jwt_required(refresh=True, locations=["headers", "cookies"])(view))


def current_principal() -> Principal:
    principal = current_user
    assert isinstance(principal, Principal)
    return principal


def principal_if_any() -> Principal | None:
    """The caller on a route that checked an access token; None on an anonymous route."""
    try:
        principal = get_current_user()
    except RuntimeError:  # no token was checked on this request
        return None
    return principal if isinstance(principal, Principal) else None
