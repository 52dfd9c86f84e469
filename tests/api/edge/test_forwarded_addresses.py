"""Forwarded client addresses are parsed, not believed as text: a value that is no IP address leaves
the trusted proxy's peer as the client, and every address is stored, limited and logged in one form."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.accounts import Account, Tokens
from tests.support.logs import ProductionLog

LOGIN = "/api/v1/auth/login"
SESSIONS = "/api/v1/auth/sessions"
AUDIT = "/api/v1/audit-events"
PROXY = "10.1.1.1"
NO_ADDRESSES = [
    "<script>alert(1)</script>",
    "203.0.113.7" + "0" * 60,  # longer than any address column
    "unknown",
    "203.0.113.7.8",
    "2001:db8::1::2",
    "",
]


@pytest.fixture
def app_overrides(limiter_storage: dict[str, str]) -> dict[str, Any]:
    return {
        **limiter_storage,
        "RATELIMIT_LOGIN_IP": "3 per minute",
        "TRUSTED_PROXIES": "1",
        "FORWARDED_ALLOW_IPS": "10.1.1.0/24",
    }


def login_via_proxy(client: FlaskClient, forwarded_for: str, email: str, password: str) -> TestResponse:
    return client.post(
        LOGIN,
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": PROXY},
    )


def access_clients(log: ProductionLog) -> list[str | None]:
    return [record["client"] for record in log.records() if record["logger"] == "keel.access"]


def login_addresses(client: FlaskClient, admin_tokens: Tokens, account: Account) -> list[str | None]:
    events = client.get(
        AUDIT, query_string={"user_id": str(account.id), "limit": 200}, headers=admin_tokens.headers
    )
    assert events.status_code == 200, events.get_json()
    return [row["client_address"] for row in events.get_json()["items"] if row["event"] == "login_succeeded"]


def test_forwarded_values_that_are_no_address_all_count_as_the_proxy(
    client: FlaskClient, production_log: ProductionLog
) -> None:
    """A client that writes a new word in X-Forwarded-For for every try still meets the address limit."""
    statuses = [
        login_via_proxy(client, value, "nobody@example.com", "whatever-pass").status_code
        for value in NO_ADDRESSES[:4]
    ]
    assert statuses == [401, 401, 401, 429]
    assert set(access_clients(production_log)) == {PROXY}


@pytest.mark.parametrize("forwarded", [NO_ADDRESSES[0], NO_ADDRESSES[1], ""])
def test_a_correct_login_with_a_forwarded_value_that_is_no_address_succeeds_and_stores_the_peer(
    client: FlaskClient, user: Account, admin_tokens: Tokens, forwarded: str
) -> None:
    response = login_via_proxy(client, forwarded, user.email, user.password)
    assert response.status_code == 200, response.get_json()
    headers = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
    sessions = client.get(SESSIONS, headers=headers).get_json()["items"]
    assert [session["client_address"] for session in sessions] == [PROXY]
    assert login_addresses(client, admin_tokens, user) == [PROXY]


@pytest.mark.parametrize(
    ("forwarded", "stored"),
    [
        ("::ffff:198.51.100.23", "198.51.100.23"),
        ("2001:DB8:0:0:0:0:0:7", "2001:db8::7"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("fe80::7%eth0", "fe80::7"),
        ("198.51.100.23:51234", "198.51.100.23"),
        ("6.6.6.6, 198.51.100.23", "198.51.100.23"),
    ],
)
def test_a_forwarded_address_is_stored_and_logged_in_its_normal_form(
    client: FlaskClient,
    user: Account,
    admin_tokens: Tokens,
    production_log: ProductionLog,
    forwarded: str,
    stored: str,
) -> None:
    response = login_via_proxy(client, forwarded, user.email, user.password)
    assert response.status_code == 200, response.get_json()
    assert login_addresses(client, admin_tokens, user) == [stored]
    assert access_clients(production_log)[-2] == stored  # the login's line, before the audit listing's


def test_a_peer_that_is_no_proxy_is_normalised_too(
    client: FlaskClient, production_log: ProductionLog
) -> None:
    client.get("/health", environ_base={"REMOTE_ADDR": "::ffff:192.0.2.5"})
    assert access_clients(production_log) == ["192.0.2.5"]


class TestIpv6Budget:
    """An IPv6 host picks any address in its /64: the per-address limits count the /64."""

    @pytest.fixture
    def app_overrides(self, limiter_storage: dict[str, str]) -> dict[str, Any]:
        return {**limiter_storage, "RATELIMIT_LOGIN_IP": "3 per minute"}

    def login_from(self, client: FlaskClient, address: str) -> int:
        response = client.post(
            LOGIN,
            json={"email": "nobody@example.com", "password": "whatever-pass"},
            environ_base={"REMOTE_ADDR": address},
        )
        return response.status_code

    def test_fresh_addresses_in_one_64_share_one_budget(self, client: FlaskClient) -> None:
        statuses = [self.login_from(client, f"2001:db8:1:2::{n:x}") for n in range(1, 5)]
        assert statuses == [401, 401, 401, 429]
        assert self.login_from(client, "2001:db8:1:2:ffff:ffff:ffff:ffff") == 429
        assert self.login_from(client, "2001:db8:1:3::1") == 401  # the next /64 is another client

    def test_ipv4_addresses_keep_a_budget_each(self, client: FlaskClient) -> None:
        statuses = [self.login_from(client, f"198.51.100.{n}") for n in range(1, 5)]
        assert statuses == [401, 401, 401, 401]
        assert [self.login_from(client, "::ffff:198.51.100.1") for _ in range(3)] == [401, 401, 429]
