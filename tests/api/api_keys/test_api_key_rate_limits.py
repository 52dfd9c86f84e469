"""The default rate limit is per key for a key's requests: two keys from one address each have
their own allowance; a bad key counts against the address."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from app.domain.api_keys import new_key
from tests.api.api_keys.helpers import ME, create_key, key_headers
from tests.api.auth.helpers import assert_problem
from tests.support.accounts import Tokens

LIMIT = 3


@pytest.fixture
def app_overrides(limiter_storage: dict[str, str]) -> dict[str, Any]:
    return {
        **limiter_storage,
        "RATELIMIT_DEFAULT": f"{LIMIT} per minute",
        "RATELIMIT_LOGIN_IP": "100 per minute",
    }


def test_each_key_has_its_own_default_allowance(client: FlaskClient, user_tokens: Tokens) -> None:
    first = create_key(client, user_tokens, "users:read")["key"]
    second = create_key(client, user_tokens, "users:read")["key"]

    answers = [client.get(ME, headers=key_headers(first)).status_code for _ in range(LIMIT + 1)]

    assert answers == [200] * LIMIT + [429]
    assert client.get(ME, headers=key_headers(second)).status_code == 200
    assert_problem(client.get(ME, headers=key_headers(first)), 429, "rate_limited")


def test_bad_keys_share_the_address_allowance(client: FlaskClient, user_tokens: Tokens) -> None:
    answers = [client.get(ME, headers=key_headers(new_key())).status_code for _ in range(LIMIT + 1)]
    assert answers == [401] * LIMIT + [429]
