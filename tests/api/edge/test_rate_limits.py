"""Rate limits: per client, per target email for logins, shared through Redis, never a 500."""

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from uuid6 import uuid7

from app.config import Settings
from app.web.rate_limits import RouteLimit, declared_limits
from tests.conftest import REDIS_URL
from tests.support import databases
from tests.support.accounts import Account, Tokens

LOGIN = "/api/v1/auth/login"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def app_overrides(limiter_storage: dict[str, str]) -> dict[str, Any]:
    return {
        **limiter_storage,
        "RATELIMIT_LOGIN_EMAIL": "3 per minute",
        "RATELIMIT_LOGIN_IP": "5 per minute",
        "RATELIMIT_REGISTER": "2 per minute",
        "RATELIMIT_DEFAULT": "4 per minute",
    }


def post_login(client: FlaskClient, email: str, password: str, address: str = "203.0.113.7") -> Any:
    return client.post(
        LOGIN, json={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def assert_rate_limited(response: Any) -> None:
    assert response.status_code == 429
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1


def test_login_is_throttled_per_email_across_client_addresses(client: FlaskClient, user: Account) -> None:
    for n in range(3):
        assert post_login(client, user.email, "wrong-password", address=f"198.51.100.{n}").status_code == 401
    # A fourth address, and the right password: the account is still protected.
    assert_rate_limited(post_login(client, user.email, user.password, address="198.51.100.99"))


def test_login_email_limit_counts_only_failures(client: FlaskClient, user: Account) -> None:
    for n in range(4):
        assert post_login(client, user.email, user.password, address=f"198.51.100.{n}").status_code == 200


def test_login_is_throttled_per_client_address(client: FlaskClient) -> None:
    statuses = [post_login(client, f"nobody{n}@example.com", "whatever-pass").status_code for n in range(5)]
    assert statuses == [401] * 5
    assert_rate_limited(post_login(client, "someone-else@example.com", "whatever-pass"))


def test_rate_limit_counts_requests_whose_body_fails_validation(client: FlaskClient) -> None:
    for _ in range(2):
        assert client.post("/api/v1/auth/register", json={"email": "not-an-email"}).status_code == 422
    assert_rate_limited(client.post("/api/v1/auth/register", json={"email": "not-an-email"}))


def test_limited_routes_carry_rate_limit_headers(client: FlaskClient) -> None:
    response = post_login(client, "nobody@example.com", "whatever-pass")
    assert response.headers["X-RateLimit-Limit"] == "5"
    assert response.headers["X-RateLimit-Remaining"] == "4"
    assert "Retry-After" not in response.headers


def test_default_limit_applies_to_api_routes(client: FlaskClient) -> None:
    statuses = [client.get("/api/v1/users/me").status_code for _ in range(4)]
    assert statuses == [401] * 4
    assert_rate_limited(client.get("/api/v1/users/me"))


def test_a_route_limit_that_exempts_a_request_leaves_it_under_the_default(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    """Only an email change counts as a registration; any other PATCH still meets the default limit."""
    url = f"/api/v1/users/{user.id}"
    statuses = [
        client.patch(url, json={"name": f"N {n}"}, headers=user_tokens.headers).status_code for n in range(4)
    ]
    assert statuses == [200] * 4
    assert_rate_limited(client.patch(url, json={"name": "N 5"}, headers=user_tokens.headers))


@pytest.mark.parametrize("path", ["/health", "/ready", "/openapi.json", "/docs"])
def test_operational_endpoints_are_exempt(client: FlaskClient, path: str) -> None:
    for _ in range(8):
        response = client.get(path)
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response.headers


def test_limits_reset_when_the_window_passes(app: Flask, limiter_storage: dict[str, str]) -> None:
    fast = databases.make_app(
        app.config["SQLALCHEMY_DATABASE_URI"], {**limiter_storage, "RATELIMIT_DEFAULT": "2 per 1 second"}
    )
    client = fast.test_client()
    assert [client.get("/api/v1/users/me").status_code for _ in range(2)] == [401, 401]
    assert_rate_limited(client.get("/api/v1/users/me"))
    time.sleep(1.2)
    assert client.get("/api/v1/users/me").status_code == 401
    databases.dispose(fast)


@pytest.fixture
def redis_url() -> Iterator[str]:
    if REDIS_URL is None:
        pytest.skip("TEST_REDIS_URL is not set (CI always sets it)")
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


def _instances(app: Flask, **overrides: str) -> tuple[Flask, Flask]:
    settings = {"RATELIMIT_ENABLED": "true", "RATELIMIT_LOGIN_IP": "5 per minute", **overrides}
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    return databases.make_app(url, settings), databases.make_app(url, settings)


def test_limits_are_shared_by_two_instances_on_one_redis(app: Flask, redis_url: str) -> None:
    one, two = _instances(app, REDIS_URL=redis_url)
    first, second = one.test_client(), two.test_client()
    for n in range(5):
        target = first if n % 2 == 0 else second
        assert post_login(target, f"nobody{n}@example.com", "whatever-pass").status_code == 401
    assert_rate_limited(post_login(second, "nobody@example.com", "whatever-pass"))
    assert_rate_limited(post_login(first, "nobody@example.com", "whatever-pass"))
    databases.dispose(one)
    databases.dispose(two)


def test_in_memory_limits_are_per_instance(app: Flask) -> None:
    one, two = _instances(app)
    first, second = one.test_client(), two.test_client()
    for n in range(5):
        assert post_login(first, f"nobody{n}@example.com", "whatever-pass").status_code == 401
    assert_rate_limited(post_login(first, "nobody@example.com", "whatever-pass"))
    assert post_login(second, "nobody@example.com", "whatever-pass").status_code == 401
    databases.dispose(one)
    databases.dispose(two)


def test_disabled_rate_limits_never_answer_429(app: Flask) -> None:
    plain = databases.make_app(app.config["SQLALCHEMY_DATABASE_URI"], {"RATELIMIT_DEFAULT": "1 per minute"})
    client = plain.test_client()
    assert [client.get("/api/v1/users/me").status_code for _ in range(3)] == [401, 401, 401]
    databases.dispose(plain)


class _SettingNames:
    """Stands in for the settings: a declared limit's `setting` answers the name it reads."""

    def __getattr__(self, name: str) -> str:
        return name.upper()


def _setting_name(limit: RouteLimit) -> str:
    return limit.setting(cast(Settings, _SettingNames()))


def _path(app: Flask, endpoint: str) -> str:
    """The endpoint's path as the OpenAPI document writes it: `<uuid:user_id>` is `{user_id}`."""
    (rule,) = app.url_map.iter_rules(endpoint)
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)


def _declared(app: Flask) -> list[tuple[str, str, str, RouteLimit]]:
    """(method, documented path, endpoint, limit) for every limit a route declares."""
    return [
        (method, _path(app, endpoint), endpoint, limit) for endpoint, method, limit in declared_limits(app)
    ]


def _fullest_body(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    """Every property the operation's body documents: a limit that exempts some bodies counts this one."""
    operation = spec["paths"][path][method.lower()]
    if "requestBody" not in operation:
        return {}
    content = operation["requestBody"]["content"]["application/json"]
    schema = content["schema"]
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return {**dict.fromkeys(schema.get("properties", {}), "x"), **content.get("example", {})}


def test_the_stricter_limits_are_those_the_routes_declare(app: Flask, app_overrides: dict[str, Any]) -> None:
    """Each limit a route declares is enforced on that route and method, under its own setting.

    Every declared setting is set to 1 per minute and the default far above it: the second request of
    a fresh client address is refused by the route's own limit (its `X-RateLimit-Limit` is 1).
    """
    declared = _declared(app)
    assert declared, "no route declares a limit of its own"
    strict = {_setting_name(limit): "1 per minute" for _, _, _, limit in declared}
    served = databases.make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        {**app_overrides, "RATELIMIT_DEFAULT": "1000 per minute", **strict},
    )
    client = served.test_client()
    spec = client.get("/openapi.json").get_json()
    adapter = served.url_map.bind("localhost")
    for n, (method, path, endpoint, limit) in enumerate(_declared(served), start=1):
        (rule,) = served.url_map.iter_rules(endpoint)
        url = adapter.build(endpoint, {argument: uuid7() for argument in rule.arguments}, method=method)
        body = _fullest_body(spec, path, method)
        responses = [
            client.open(url, method=method, json=body, environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})
            for _ in range(2)
        ]
        where = f"{method} {path} ({_setting_name(limit)})"
        assert [response.status_code == 429 for response in responses] == [False, True], where
        assert_rate_limited(responses[1])
        assert responses[1].headers["X-RateLimit-Limit"] == "1", where
    databases.dispose(served)


def test_every_declared_limit_is_in_the_reference(app: Flask) -> None:
    """docs/api.md's Rate limits table lists each route with a limit of its own, and only those."""
    reference = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = reference.split("### Rate limits", 1)[1].split("\n### ", 1)[0]
    documented = set(
        re.findall(r"^\| `([A-Z]+) (\S+)`[^|]*\| `(RATELIMIT_\w+)`", section, flags=re.MULTILINE)
    )
    declared = {(method, path, _setting_name(limit)) for method, path, _, limit in _declared(app)}
    assert declared
    assert declared == documented


def test_no_log_line_names_the_targeted_address(
    client: FlaskClient, user: Account, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        statuses = [post_login(client, user.email, "wrong", f"198.51.100.{n}").status_code for n in range(6)]
    assert 429 in statuses
    local_part = user.email.split("@")[0]
    assert local_part not in caplog.text
    assert all(local_part not in str(vars(record)) for record in caplog.records)


def test_email_changes_are_limited_like_registrations(
    client: FlaskClient, user: Account, user_tokens: Tokens
) -> None:
    """Each answer to a new email is an `email_taken` oracle: counted like registrations, per address."""
    statuses = [
        client.patch(
            f"/api/v1/users/{user.id}",
            json={"email": f"taken-{n}@example.com", "current_password": user.password},
            headers=user_tokens.headers,
            environ_base={"REMOTE_ADDR": "203.0.113.80"},
        ).status_code
        for n in range(3)
    ]
    assert statuses[:2] == [200, 200]
    assert statuses[2] == 429
    renamed = client.patch(
        f"/api/v1/users/{user.id}",
        json={"name": "Still Allowed"},
        headers=user_tokens.headers,
        environ_base={"REMOTE_ADDR": "203.0.113.80"},
    )
    assert renamed.status_code == 200


def test_remaining_counts_down_request_by_request(client: FlaskClient) -> None:
    remaining = [client.get("/api/v1/users/me").headers["X-RateLimit-Remaining"] for _ in range(4)]
    assert remaining == ["3", "2", "1", "0"]
    refused = client.get("/api/v1/users/me")
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Remaining"] == "0"


def _preflight(client: FlaskClient, path: str, method: str) -> Any:
    return client.options(
        path,
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )


def test_preflights_do_not_count_against_the_default_limit(client: FlaskClient) -> None:
    for _ in range(8):
        response = _preflight(client, "/api/v1/users/me", "GET")
        assert response.status_code == 200
        assert "X-RateLimit-Remaining" not in response.headers
    real = client.get("/api/v1/users/me")
    assert real.status_code == 401
    assert real.headers["X-RateLimit-Remaining"] == "3"


def test_preflights_do_not_count_against_a_route_limit(client: FlaskClient) -> None:
    """A route's own limit counts its declared method only; the default skips preflights as well."""
    for _ in range(8):
        assert _preflight(client, LOGIN, "POST").status_code == 200
    response = post_login(client, "nobody@example.com", "whatever-pass")
    assert response.status_code == 401
    assert response.headers["X-RateLimit-Remaining"] == "4"


def test_an_options_request_that_is_no_preflight_still_counts(client: FlaskClient) -> None:
    for _ in range(4):
        assert client.options("/api/v1/users/me").status_code == 200
    assert_rate_limited(client.get("/api/v1/users/me"))
