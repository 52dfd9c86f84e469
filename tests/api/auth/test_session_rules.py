"""Session rules with the production defaults: the reuse grace belongs to the client that rotated, and
no amount of refreshing carries a session past its absolute lifetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.api.auth.helpers import ME, REFRESH, assert_unauthorized, bearer
from tests.support.accounts import Account, login

VICTIM = {"REMOTE_ADDR": "198.51.100.7", "HTTP_USER_AGENT": "Victim/1.0"}
THIEF = {"REMOTE_ADDR": "203.0.113.66", "HTTP_USER_AGENT": "Victim/1.0"}
VICTIM_VIA_PROXY = {**VICTIM, "REMOTE_ADDR": "10.1.1.1", "HTTP_X_FORWARDED_FOR": VICTIM["REMOTE_ADDR"]}


def refresh(client: FlaskClient, token: str, who: dict[str, str]) -> TestResponse:
    return client.post(REFRESH, headers=bearer(token), environ_base=who)


def test_the_production_grace_is_two_seconds(client: FlaskClient) -> None:
    from app.composition import container

    with client.application.app_context():
        assert container().settings.refresh_reuse_grace_seconds == 2


def test_a_retry_by_the_same_client_within_the_grace_keeps_the_session(
    client: FlaskClient, user: Account
) -> None:
    tokens = login(client, user)
    winner = refresh(client, tokens.refresh_token, VICTIM)
    assert winner.status_code == 200
    assert_unauthorized(refresh(client, tokens.refresh_token, VICTIM), "token_revoked")
    assert client.get(ME, headers=bearer(winner.get_json()["access_token"])).status_code == 200
    assert refresh(client, winner.get_json()["refresh_token"], VICTIM).status_code == 200


def test_when_a_thief_rotates_first_the_victims_retry_ends_the_thiefs_session(
    client: FlaskClient, user: Account
) -> None:
    tokens = login(client, user)
    stolen = refresh(client, tokens.refresh_token, THIEF)
    assert stolen.status_code == 200
    assert_unauthorized(refresh(client, tokens.refresh_token, VICTIM), "token_reused")
    assert_unauthorized(client.get(ME, headers=bearer(stolen.get_json()["access_token"])), "token_revoked")
    assert_unauthorized(refresh(client, stolen.get_json()["refresh_token"], THIEF), "token_revoked")


@pytest.mark.parametrize("user_agent", ["Other/2.0", ""])
def test_the_grace_needs_the_same_user_agent(client: FlaskClient, user: Account, user_agent: str) -> None:
    tokens = login(client, user)
    assert refresh(client, tokens.refresh_token, VICTIM).status_code == 200
    other = {**VICTIM, "HTTP_USER_AGENT": user_agent}
    assert_unauthorized(refresh(client, tokens.refresh_token, other), "token_reused")


def test_a_replay_by_the_same_client_after_the_grace_is_theft(client: FlaskClient, user: Account) -> None:
    tokens = login(client, user)
    with time_machine.travel(datetime.now(UTC), tick=True) as traveller:
        assert refresh(client, tokens.refresh_token, VICTIM).status_code == 200
        traveller.shift(timedelta(seconds=2.5))
        assert_unauthorized(refresh(client, tokens.refresh_token, VICTIM), "token_reused")


class TestAbsoluteLifetime:
    @pytest.fixture
    def app_overrides(self) -> dict[str, Any]:
        return {"SESSION_LIFETIME_SECONDS": "600", "JWT_REFRESH_TTL_SECONDS": "300"}

    def test_refreshing_keeps_a_session_only_until_its_end(self, client: FlaskClient, user: Account) -> None:
        with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
            token = login(client, user).refresh_token
            for _ in range(3):
                traveller.shift(timedelta(seconds=180))
                rotated = refresh(client, token, VICTIM)
                assert rotated.status_code == 200
                token = rotated.get_json()["refresh_token"]
            traveller.shift(timedelta(seconds=61))  # 601 s after login; the token's own expiry is 300 s away
            assert_unauthorized(refresh(client, token, VICTIM), "token_expired")
            assert login(client, user).refresh_token


class TestBehindProxies:
    """Only the configured proxies vouch for an address: a thief who reaches the app port directly
    cannot claim the victim's address in X-Forwarded-For to be granted the reuse grace."""

    @pytest.fixture
    def app_overrides(self) -> dict[str, Any]:
        return {"TRUSTED_PROXIES": "1", "FORWARDED_ALLOW_IPS": "10.1.1.0/24"}

    def test_the_victims_retry_through_the_proxy_keeps_the_grace(
        self, client: FlaskClient, user: Account
    ) -> None:
        tokens = login(client, user)
        assert refresh(client, tokens.refresh_token, VICTIM_VIA_PROXY).status_code == 200
        assert_unauthorized(refresh(client, tokens.refresh_token, VICTIM_VIA_PROXY), "token_revoked")

    def test_a_forged_forwarded_address_earns_no_grace(self, client: FlaskClient, user: Account) -> None:
        tokens = login(client, user)
        assert refresh(client, tokens.refresh_token, VICTIM_VIA_PROXY).status_code == 200
        forged = {**THIEF, "HTTP_X_FORWARDED_FOR": VICTIM["REMOTE_ADDR"]}
        assert_unauthorized(refresh(client, tokens.refresh_token, forged), "token_reused")
