"""The route guard: a bearer access token, or on the operations that accept one an API key, with the
principal loaded fresh on every request.

An `Authorization: Bearer keel_...` header is an API key (app.domain.api_keys); any other bearer is
an access token. A key acts as its owner, within its scopes, on operations guarded by
`token_or_api_key_required(scope)` only: `access_token_required` operations (credentials, sessions,
the second factor, API keys themselves) answer a valid key with 403 `insufficient_scope`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, request
from flask_jwt_extended import current_user, get_current_user, jwt_required

from app.domain.api_keys import PREFIX, InsufficientScope, InvalidApiKey
from app.domain.principal import Principal
from app.observability.context import set_user_id

F = TypeVar("F", bound=Callable[..., Any])
ApiKeyLoader = Callable[[str], Principal | None]

BEARER_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]
# Operations that accept an API key as well as an access token: either scheme will do.
KEY_OR_BEARER_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKeyAuth": []}]
API_KEY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "API key: keel_[0-9A-Za-z]{49}",
    "description": "An API key (`Authorization: Bearer keel_...`), limited to its scopes; "
    "`POST /api/v1/api-keys` creates one.",
}

# How an access-token-only operation documents what a presented API key gets: never its way in.
API_KEY_INVALID = "`invalid_api_key`: an API key that is unknown, revoked, expired or malformed"
API_KEY_REFUSED = "`insufficient_scope`: presented with an API key, which this operation never takes"

_LOADER = "keel.api_key_loader"
_CALLER = "keel_api_key_caller"


def install_api_key_loader(app: Flask, loader: ApiKeyLoader) -> None:
    """What turns a presented key into its caller: the composition root's, installed by the factory."""
    app.extensions[_LOADER] = loader


def presented_api_key() -> str | None:
    """The API key in the Authorization header, or None when it carries something else (or nothing)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value.startswith(PREFIX) else None


def api_key_caller() -> Principal | None:
    """The caller behind the request's API key, loaded once a request; None without a key or for a bad one."""
    if _CALLER not in g:
        presented = presented_api_key()
        loader: ApiKeyLoader = current_app.extensions[_LOADER]
        setattr(g, _CALLER, None if presented is None else loader(presented))
    caller: Principal | None = g.get(_CALLER)
    return caller


def _guarded(view: F, scope: str | None) -> F:
    by_token = jwt_required(locations=["headers"])(view)

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if presented_api_key() is None:
            return by_token(*args, **kwargs)
        caller = api_key_caller()
        if caller is None:
            raise InvalidApiKey()
        if scope is None or scope not in caller.scopes:
            raise InsufficientScope()
        set_user_id(str(caller.user_id))
        return view(*args, **kwargs)

    return cast(F, guarded)


def access_token_required(view: F) -> F:
    """Require a valid access token in the Authorization header (never from a cookie); no API key."""
    return _guarded(view, None)


def token_or_api_key_required(scope: str) -> Callable[[F], F]:
    """Require an access token, or an API key granted `scope`."""

    def decorate(view: F) -> F:
        return _guarded(view, scope)

    return decorate


def refresh_token_required(view: F) -> F:
    """Require a refresh token: a Bearer header, or the cookie together with its CSRF header."""
    return cast(F, jwt_required(refresh=True, locations=["headers", "cookies"])(view))


def current_principal() -> Principal:
    principal = g.get(_CALLER) or current_user
    assert isinstance(principal, Principal)
    return principal


def principal_if_any() -> Principal | None:
    """The caller on a route that checked an access token or API key; None on an anonymous route."""
    by_key = g.get(_CALLER)
    if isinstance(by_key, Principal):
        return by_key
    try:
        principal = get_current_user()
    except RuntimeError:  # no token was checked on this request
        return None
    return principal if isinstance(principal, Principal) else None
