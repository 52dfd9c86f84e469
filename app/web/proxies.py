"""The client address, settled once at the edge: forwarding believed only from the configured proxies,
and every address in one normalised form for limits, sessions, audit, idempotency and logs.

ProxyFix takes the client address and scheme from TRUSTED_PROXIES hops of X-Forwarded-For and
X-Forwarded-Proto. Anyone who can reach the app port directly could forge those, so they are
applied only when the peer itself is one of FORWARDED_ALLOW_IPS (gunicorn reads the same list).
Even a trusted proxy only passes on what its client sent in the hops before it, so a forwarded
value that is no IP address (text, markup, a 200-character string) is not believed: the peer
stays the client. A scheme other than http or https is not believed either.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from werkzeug.middleware.proxy_fix import ProxyFix

from app.domain.clients import normalised_address

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_SCHEMES = ("http", "https")
_BEFORE_PROXY_FIX = "werkzeug.proxy_fix.orig"


class TrustedProxies:
    def __init__(self, app: WSGIApplication, *, hops: int, allowed: Sequence[str]) -> None:
        self._app = app
        self._proxied = ProxyFix(self._checked, x_for=hops, x_proto=hops) if hops else None
        self._any_peer = "*" in allowed
        self._networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(entry, strict=False) for entry in allowed if entry != "*"
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        peer = normalised_address(environ.get("REMOTE_ADDR"))
        _set_client(environ, peer)
        if self._proxied is not None and self._is_trusted(peer):
            return self._proxied(environ, start_response)
        return self._app(environ, start_response)

    def _checked(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """After ProxyFix: keep a forwarded address only if it is one, and a forwarded scheme only if known."""
        before = environ.get(_BEFORE_PROXY_FIX, {})
        forwarded = normalised_address(environ.get("REMOTE_ADDR"))
        _set_client(environ, forwarded if forwarded is not None else before.get("REMOTE_ADDR"))
        if environ.get("wsgi.url_scheme") not in _SCHEMES:
            environ["wsgi.url_scheme"] = before.get("wsgi.url_scheme", "http")
        return self._app(environ, start_response)

    def _is_trusted(self, peer: str | None) -> bool:
        if self._any_peer:
            return True
        if peer is None:
            return False
        address = ipaddress.ip_address(peer)
        return any(address in network for network in self._networks)


def _set_client(environ: WSGIEnvironment, address: str | None) -> None:
    """REMOTE_ADDR is the normalised address, or absent when the peer has none (a Unix socket)."""
    if address is None:
        environ.pop("REMOTE_ADDR", None)
    else:
        environ["REMOTE_ADDR"] = address
