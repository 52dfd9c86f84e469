"""Forwarding headers believed only from the proxies that are meant to send them.

ProxyFix takes the client address and scheme from TRUSTED_PROXIES hops of X-Forwarded-For and
X-Forwarded-Proto. Anyone who can reach the app port directly could forge those, so they are
applied only when the peer itself is one of FORWARDED_ALLOW_IPS (gunicorn reads the same list).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    def __init__(self, app: WSGIApplication, *, hops: int, allowed: Sequence[str]) -> None:
        self._app = app
        self._proxied = ProxyFix(app, x_for=hops, x_proto=hops)
        self._any_peer = "*" in allowed
        self._networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(entry, strict=False) for entry in allowed if entry != "*"
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self._is_trusted(environ.get("REMOTE_ADDR")):
            return self._proxied(environ, start_response)
        return self._app(environ, start_response)

    def _is_trusted(self, peer: str | None) -> bool:
        if self._any_peer:
            return True
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in self._networks)
