"""The client address: X-Forwarded-For counts only for the configured number of trusted hops."""

from typing import Any

import pytest
from flask import Flask

from tests.support import databases
from tests.support.logs import ProductionLog

SPOOFED = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"]


@pytest.fixture
def access_lines(production_log: ProductionLog) -> ProductionLog:
    return production_log


PROXY_NETWORK = "10.1.1.0/24"


def _app(app: Flask, hops: int, allowed: str = PROXY_NETWORK) -> Flask:
    return databases.make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        {
            "RATELIMIT_ENABLED": "true",
            "RATELIMIT_LOGIN_IP": "3 per minute",
            "TRUSTED_PROXIES": str(hops),
            "FORWARDED_ALLOW_IPS": allowed,
        },
    )


def _login(client: Any, forwarded_for: str) -> int:
    response = client.post(
        "/api/v1/auth/login",
        json={"email": "nobody@example.com", "password": "whatever-pass"},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )
    return int(response.status_code)


def _clients(log: ProductionLog) -> list[str]:
    return [record["client"] for record in log.records() if record["logger"] == "keel.access"]


def test_spoofed_forwarded_for_changes_nothing_without_trusted_proxies(
    app: Flask, access_lines: ProductionLog
) -> None:
    direct = _app(app, 0)
    client = direct.test_client()
    statuses = [_login(client, address) for address in SPOOFED]
    assert statuses == [401, 401, 401, 429]
    assert set(_clients(access_lines)) == {"10.1.1.1"}
    databases.dispose(direct)


def test_one_trusted_hop_uses_the_address_the_proxy_saw(app: Flask, access_lines: ProductionLog) -> None:
    proxied = _app(app, 1)
    client = proxied.test_client()
    # The client forged the first entry; the trusted proxy appended the real one.
    statuses = [_login(client, f"6.6.6.6, {address}") for address in SPOOFED]
    assert statuses == [401, 401, 401, 401]
    assert _clients(access_lines) == SPOOFED
    assert _login(client, f"7.7.7.7, {SPOOFED[0]}") == 401
    assert _login(client, f"8.8.8.8, {SPOOFED[0]}") == 401
    assert _login(client, f"9.9.9.9, {SPOOFED[0]}") == 429
    databases.dispose(proxied)


@pytest.mark.parametrize("allowed", ["127.0.0.1,::1", "10.1.2.0/24,192.0.2.7"])
def test_forwarded_for_from_a_peer_that_is_no_configured_proxy_is_ignored(
    app: Flask, access_lines: ProductionLog, allowed: str
) -> None:
    """Someone reaching the app port directly (peer 10.1.1.1) cannot pose as a proxy."""
    proxied = _app(app, 1, allowed)
    client = proxied.test_client()
    statuses = [_login(client, address) for address in SPOOFED]
    assert statuses == [401, 401, 401, 429]
    assert set(_clients(access_lines)) == {"10.1.1.1"}
    databases.dispose(proxied)


def test_a_configured_star_trusts_every_peer(app: Flask, access_lines: ProductionLog) -> None:
    proxied = _app(app, 1, "*")
    _login(proxied.test_client(), "6.6.6.6, 203.0.113.50")
    assert _clients(access_lines) == ["203.0.113.50"]
    databases.dispose(proxied)
