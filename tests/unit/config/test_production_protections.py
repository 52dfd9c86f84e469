"""Production refuses settings that undo a protection, one line naming the variable, unless the
deployment lists that variable in ALLOW_UNSAFE_SETTINGS; development and tests are not held to it."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from app.config import ConfigError, entropy_bits, load_settings
from tests.unit.config.test_config import production


def refused(**overrides: Any) -> str:
    with pytest.raises(ConfigError) as raised:
        load_settings(production(**overrides))
    message = str(raised.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    "secret",
    [
        "k" * 48,
        " " * 48,
        "ab" * 24,
        "passwordpasswordpasswordpassword",
        "abcdefgh" * 5,  # 40 characters of 8 symbols: 120 bits
        " " + secrets.token_urlsafe(48),
        secrets.token_urlsafe(48) + "\n",
    ],
)
def test_a_predictable_or_blank_padded_signing_key_is_refused(secret: str) -> None:
    assert refused(JWT_SECRET_KEY=secret).startswith("JWT_SECRET_KEY: ")


def test_the_key_entropy_rule_is_length_times_shannon_entropy() -> None:
    assert entropy_bits("k" * 64) == 0
    assert entropy_bits("ab" * 32) == 64
    assert entropy_bits(secrets.token_hex(32)) > 200  # 32 random bytes in hex pass
    assert entropy_bits(secrets.token_urlsafe(48)) > 300


def test_a_signing_key_cannot_be_waived() -> None:
    with pytest.raises(ConfigError, match=r"^ALLOW_UNSAFE_SETTINGS\b"):
        load_settings(production(ALLOW_UNSAFE_SETTINGS="JWT_SECRET_KEY"))


@pytest.mark.parametrize(
    ("memory_kib", "passes", "accepted"),
    [
        (19456, 2, True),
        (47104, 1, True),
        (12288, 3, True),
        (9216, 4, True),
        (7168, 5, True),
        (65536, 3, True),
        (7168, 9, True),
        (47103, 1, False),
        (19456, 1, False),
        (19455, 2, False),
        (12287, 3, False),
        (9215, 4, False),
        (7167, 5, False),
        (4096, 20, False),
    ],
)
def test_argon2id_below_every_owasp_pair_is_refused(memory_kib: int, passes: int, accepted: bool) -> None:
    overrides = {"PASSWORD_MEMORY_KIB": str(memory_kib), "PASSWORD_TIME_COST": str(passes)}
    if accepted:
        assert load_settings(production(**overrides)).password_memory_kib == memory_kib
    else:
        assert refused(**overrides).startswith("PASSWORD_MEMORY_KIB: ")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FRONTEND_URL", "http://app.example.com"),
        ("FRONTEND_URL", "http://10.0.0.5:3000/app"),
        ("PUBLIC_BASE_URL", "http://api.example.com"),
        ("CORS_ORIGINS", "https://app.example.com,http://admin.example.com"),
    ],
)
def test_plain_http_urls_are_refused(variable: str, value: str) -> None:
    assert refused(**{variable: value}).startswith(f"{variable}: ")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FRONTEND_URL", "http://localhost:8080"),
        ("FRONTEND_URL", "http://127.0.0.1:3000"),
        ("FRONTEND_URL", "http://[::1]:3000"),
        ("PUBLIC_BASE_URL", "http://localhost:8000"),
        ("CORS_ORIGINS", "https://app.example.com,http://localhost:5173,http://127.0.0.1:5173"),
        ("FRONTEND_URL", "https://app.example.com/keel"),
    ],
)
def test_localhost_and_https_urls_are_accepted(variable: str, value: str) -> None:
    assert load_settings(production(**{variable: value})).is_production


@pytest.mark.parametrize(
    ("variable", "value", "limit"),
    [("JWT_ACCESS_TTL_SECONDS", 3601, 3600), ("REFRESH_REUSE_GRACE_SECONDS", 11, 10)],
)
def test_a_long_access_token_or_refresh_grace_is_refused(variable: str, value: int, limit: int) -> None:
    assert refused(**{variable: str(value)}).startswith(f"{variable}: ")
    assert getattr(load_settings(production(**{variable: str(limit)})), variable.lower()) == limit


@pytest.mark.parametrize(
    "overrides",
    [
        {"PASSWORD_MEMORY_KIB": "1024", "PASSWORD_TIME_COST": "1"},
        {"FRONTEND_URL": "http://app.example.com"},
        {"PUBLIC_BASE_URL": "http://api.example.com"},
        {"CORS_ORIGINS": "http://app.example.com"},
        {"JWT_ACCESS_TTL_SECONDS": "86400"},
        {"REFRESH_REUSE_GRACE_SECONDS": "30"},
        {"METRICS_BIND": ""},
    ],
)
def test_each_protection_is_waived_only_by_naming_its_variable(overrides: dict[str, str]) -> None:
    variable = "PASSWORD_MEMORY_KIB" if "PASSWORD_MEMORY_KIB" in overrides else next(iter(overrides))
    message = refused(**overrides)
    assert message.startswith(f"{variable}: ")
    assert "ALLOW_UNSAFE_SETTINGS" in message
    others = [name for name in ("FRONTEND_URL", "CORS_ORIGINS") if name != variable]
    assert refused(**overrides, ALLOW_UNSAFE_SETTINGS=",".join(others)).startswith(f"{variable}: ")
    settings = load_settings(
        production(**overrides, ALLOW_UNSAFE_SETTINGS=f"{variable.lower()}, FRONTEND_URL")
    )
    assert variable in settings.allow_unsafe_settings


def test_an_unknown_waiver_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^ALLOW_UNSAFE_SETTINGS\b"):
        load_settings(production(ALLOW_UNSAFE_SETTINGS="FRONTEND_URLS"))


@pytest.mark.parametrize("profile", ["development", "test"])
def test_development_and_tests_are_not_held_to_production_protections(profile: str) -> None:
    settings = load_settings(
        {
            "APP_ENV": profile,
            "PASSWORD_MEMORY_KIB": "1024",
            "PASSWORD_TIME_COST": "1",
            "FRONTEND_URL": "http://frontend.test:3000",
            "PUBLIC_BASE_URL": "http://api.test",
            "CORS_ORIGINS": "http://frontend.test:3000",
            "JWT_ACCESS_TTL_SECONDS": "86400",
            "REFRESH_REUSE_GRACE_SECONDS": "30",
            "METRICS_BIND": "",
            "JWT_SECRET_KEY": "k" * 40,
        }
    )
    assert settings.app_env == profile


def test_metrics_are_on_their_own_port_except_in_development() -> None:
    assert load_settings(production()).metrics_bind == "127.0.0.1:9102"
    assert load_settings({"APP_ENV": "test"}).metrics_bind == "127.0.0.1:9102"
    assert load_settings({"APP_ENV": "development"}).metrics_bind is None
