"""The edge middleware on its own: what a WSGI app behind it sees of the client address and scheme."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import orjson
import pytest
from werkzeug.test import Client

from app.web.proxies import TrustedProxies

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def echo(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "application/json")])
    seen = {"client": environ.get("REMOTE_ADDR"), "scheme": environ["wsgi.url_scheme"]}
    return [orjson.dumps(seen)]


def seen(hops: int, peer: str, headers: dict[str, str] | None = None) -> dict[str, str | None]:
    client = Client(TrustedProxies(echo, hops=hops, allowed=["10.0.0.0/8"]))
    response = client.get("/", headers=headers or {}, environ_base={"REMOTE_ADDR": peer})
    return dict(orjson.loads(response.get_data()))


@pytest.mark.parametrize(
    ("forwarded", "client"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("<script>", "10.0.0.1"),
        ("x" * 300, "10.0.0.1"),
        ("::FFFF:198.51.100.7", "198.51.100.7"),
        ("[2001:DB8::7]:8443", "2001:db8::7"),
        ("fe80::7%eth0", "fe80::7"),
    ],
)
def test_a_forwarded_address_is_believed_from_a_proxy_only_as_an_address(forwarded: str, client: str) -> None:
    assert seen(1, "10.0.0.1", {"X-Forwarded-For": forwarded})["client"] == client


def test_a_forwarded_scheme_is_believed_only_when_it_is_http_or_https() -> None:
    assert seen(1, "10.0.0.1", {"X-Forwarded-Proto": "https"})["scheme"] == "https"
    assert seen(1, "10.0.0.1", {"X-Forwarded-Proto": "javascript"})["scheme"] == "http"


def test_without_proxies_the_peer_is_normalised_and_forwarding_ignored() -> None:
    assert seen(0, "::ffff:192.0.2.1", {"X-Forwarded-For": "198.51.100.7"}) == {
        "client": "192.0.2.1",
        "scheme": "http",
    }


def test_a_mapped_peer_inside_the_allowed_network_is_a_proxy() -> None:
    assert seen(1, "::ffff:10.0.0.1", {"X-Forwarded-For": "198.51.100.7"})["client"] == "198.51.100.7"
