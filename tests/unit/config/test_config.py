from typing import Any

import pytest

from app.config import ConfigError, Secret, load_settings, origin_of

# A key as `secrets.token_urlsafe(30)` makes one: 40 characters, about 200 bits by the entropy rule.
STRONG = "URGBlgLcdp_srO8f09rhC55wv0UmlZbS3878vuAC"
PG = "postgresql+psycopg2://keel@db/keel"
# A Fernet key (32 url-safe base64 bytes), as Fernet.generate_key() makes one.
DATA_KEY = "Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1rZXktMDA="


def production(**extra: Any) -> dict[str, Any]:
    return {
        "APP_ENV": "production",
        "JWT_SECRET_KEY": STRONG,
        "DATABASE_URL": PG,
        "REDIS_URL": "redis://cache:6379/0",
        "SMTP_URL": "smtp://mail.example.com:587?starttls=true",
        "MAIL_FROM": "Keel <no-reply@example.com>",
        "FRONTEND_URL": "https://app.example.com",
        "WEB_CONCURRENCY": "1",
        "DATA_ENCRYPTION_KEYS": DATA_KEY,
        "JWT_ISSUER": "https://auth.example.com",
        **extra,
    }


def test_load_settings_development_defaults_to_sqlite_in_instance_folder(tmp_path: Any) -> None:
    settings = load_settings({"APP_ENV": "development"}, instance_path=str(tmp_path))
    assert settings.database_url == f"sqlite:///{tmp_path / 'keel.db'}"
    assert settings.log_format == "text"
    assert settings.redis_url is None
    assert settings.trusted_proxies == 0


def test_load_settings_production_accepts_safe_config() -> None:
    settings = load_settings(production(REDIS_URL="redis://cache:6379/0", WEB_CONCURRENCY="4"))
    assert settings.is_production
    assert settings.log_format == "json"


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"JWT_SECRET_KEY": None}, "JWT_SECRET_KEY"),
        ({"JWT_SECRET_KEY": "too-short"}, "JWT_SECRET_KEY"),
        ({"JWT_SECRET_KEY": "keel-development-only-secret-key-do-not-deploy"}, "JWT_SECRET_KEY"),
        ({"DATABASE_URL": "sqlite:///keel.db"}, "DATABASE_URL"),
        ({"REDIS_URL": None}, "REDIS_URL"),
        ({"SMTP_URL": None}, "SMTP_URL"),
        ({"SMTP_URL": "http://mail.example.com"}, "SMTP_URL"),
        ({"SMTP_URL": "smtps://mail.example.com?starttls=true"}, "SMTP_URL"),
        ({"FRONTEND_URL": None}, "FRONTEND_URL"),
        ({"FRONTEND_URL": "https://app.example.com/"}, "FRONTEND_URL"),
        ({"FRONTEND_URL": "javascript:alert(1)"}, "FRONTEND_URL"),
        ({"MAIL_FROM": None}, "MAIL_FROM"),
        ({"MAIL_FROM": "nobody"}, "MAIL_FROM"),
        ({"MAIL_MAX_ATTEMPTS": "0"}, "MAIL_MAX_ATTEMPTS"),
        ({"PASSWORD_RESET_TTL_SECONDS": "5"}, "PASSWORD_RESET_TTL_SECONDS"),
        ({"JWT_SECRET_KEY": "CHANGE-ME-to-at-least-32-random-bytes-from-a-secret-store"}, "JWT_SECRET_KEY"),
        ({"RATELIMIT_LOGIN_EMAIL": "ten a minute"}, "RATELIMIT_LOGIN_EMAIL"),
        ({"RATELIMIT_DEFAULT": "bogus"}, "RATELIMIT_DEFAULT"),
        ({"REFRESH_REUSE_GRACE_SECONDS": "-1"}, "REFRESH_REUSE_GRACE_SECONDS"),
        ({"REAUTH_MAX_AGE_SECONDS": "0"}, "REAUTH_MAX_AGE_SECONDS"),
        ({"REAUTH_MAX_AGE_SECONDS": "86400"}, "REAUTH_MAX_AGE_SECONDS"),
        ({"TRUSTED_PROXIES": "many"}, "TRUSTED_PROXIES"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"MAX_CONTENT_LENGTH": "0"}, "MAX_CONTENT_LENGTH"),
    ],
)
def test_load_settings_production_refuses_unsafe_config(
    overrides: dict[str, Any], variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = production()
    for key, value in overrides.items():
        if value is None:
            config.pop(key)
            monkeypatch.delenv(key, raising=False)
        else:
            config[key] = value
    with pytest.raises(ConfigError, match=rf"^{variable}\b"):
        load_settings(config)


def test_reauth_max_age_defaults_to_five_minutes() -> None:
    assert load_settings(production()).reauth_max_age_seconds == 300
    assert load_settings(production(REAUTH_MAX_AGE_SECONDS="900")).reauth_max_age_seconds == 900


def test_load_settings_refuses_unknown_profile() -> None:
    with pytest.raises(ConfigError, match=r"^APP_ENV"):
        load_settings({"APP_ENV": "staging"})


def test_smtp_password_does_not_show_itself() -> None:
    settings = load_settings(production(SMTP_URL="smtps://keel:hunter2-secret@mail.example.com"))
    assert "hunter2-secret" not in repr(settings)
    assert settings.smtp_url == "smtps://keel:hunter2-secret@mail.example.com"


def test_secret_does_not_show_itself() -> None:
    settings = load_settings(production())
    assert STRONG not in repr(settings)
    assert repr(Secret("abc")) == "Secret('**********')"
    assert settings.jwt_secret_key == STRONG


def test_load_settings_reads_dotenv_only_in_development(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    (tmp_path / ".env").write_text("TRUSTED_PROXIES=2\n")
    assert load_settings({"APP_ENV": "development"}).trusted_proxies == 2
    assert load_settings({"APP_ENV": "test"}).trusted_proxies == 0


@pytest.fixture
def development_env(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No .env and no CORS or front-end variables from the shell: only what a test passes counts."""
    monkeypatch.chdir(tmp_path)
    for name in ("CORS_ORIGINS", "FRONTEND_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("development_env")
def test_development_allows_the_frontend_urls_origin_when_no_cors_origins_are_set() -> None:
    assert load_settings({"APP_ENV": "development"}).cors_origins == ("http://localhost:3000",)
    settings = load_settings({"APP_ENV": "development", "FRONTEND_URL": "http://localhost:5173/app"})
    assert settings.cors_origins == ("http://localhost:5173",)


@pytest.mark.usefixtures("development_env")
def test_development_keeps_the_cors_origins_it_is_given() -> None:
    settings = load_settings({"APP_ENV": "development", "CORS_ORIGINS": "https://a.example"})
    assert settings.cors_origins == ("https://a.example",)


@pytest.mark.usefixtures("development_env")
def test_only_development_defaults_cors_origins_to_the_frontend_url() -> None:
    assert load_settings({"APP_ENV": "test", "FRONTEND_URL": "http://localhost:3000"}).cors_origins == ()
    assert load_settings(production()).cors_origins == ()


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://localhost:3000", "http://localhost:3000"),
        ("https://App.Example.com/app/path", "https://app.example.com"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("http://app.example.com:80/x", "http://app.example.com"),
        ("http://app.example.com:8443", "http://app.example.com:8443"),
        ("http://[::1]:3000", "http://[::1]:3000"),
    ],
)
def test_origin_of_is_what_a_browser_sends_in_origin(url: str, origin: str) -> None:
    assert origin_of(url) == origin


def test_load_settings_parses_cors_origins_list() -> None:
    settings = load_settings({"APP_ENV": "test", "CORS_ORIGINS": "https://a.example, https://b.example"})
    assert settings.cors_origins == ("https://a.example", "https://b.example")


@pytest.mark.parametrize(
    "origins",
    [
        "*",
        "null",
        "https://*.example.com",
        "https://app.example.com,*",
        "https://app.example.com/",
        "https://app.example.com/path",
        "app.example.com",
        "ftp://app.example.com",
        "https://[a-z]+.example.com",
        "https://App.Example.com",
    ],
)
def test_load_settings_refuses_cors_origins_that_are_not_exact(origins: str) -> None:
    with pytest.raises(ConfigError, match=r"^CORS_ORIGINS"):
        load_settings({"APP_ENV": "test", "CORS_ORIGINS": origins})


def test_load_settings_accepts_exact_cors_origins() -> None:
    settings = load_settings(
        {"APP_ENV": "test", "CORS_ORIGINS": "https://app.example.com, http://localhost:5173"}
    )
    assert settings.cors_origins == ("https://app.example.com", "http://localhost:5173")


def test_production_hashes_passwords_at_least_at_owasps_argon2id_minimum() -> None:
    """m=19 MiB, t=2, p=1 (OWASP Password Storage Cheat Sheet): no speed-up may go below it."""
    settings = load_settings(production())
    assert settings.password_memory_kib >= 19 * 1024
    assert settings.password_time_cost >= 2
    assert settings.password_parallelism >= 1


def test_production_refuses_the_development_issuer() -> None:
    """Other services trust tokens by their `iss`: every production must name its own."""
    with pytest.raises(ConfigError, match=r"^JWT_ISSUER: "):
        load_settings(production(JWT_ISSUER="http://localhost:8000"))
    environment = production()
    del environment["JWT_ISSUER"]
    with pytest.raises(ConfigError, match=r"^JWT_ISSUER: "):
        load_settings(environment)
    assert load_settings(production()).jwt_issuer == "https://auth.example.com"


def test_production_refuses_to_start_without_data_encryption_keys() -> None:
    with pytest.raises(ConfigError, match=r"^DATA_ENCRYPTION_KEYS"):
        load_settings(production(DATA_ENCRYPTION_KEYS=""))


def test_data_encryption_keys_must_be_fernet_keys_and_never_appear_in_the_error() -> None:
    with pytest.raises(ConfigError, match=r"^DATA_ENCRYPTION_KEYS: .*key 2") as error:
        load_settings(production(DATA_ENCRYPTION_KEYS=f"{DATA_KEY},not-a-key-at-all"))

    assert "not-a-key-at-all" not in str(error.value)


def test_data_encryption_keys_are_a_list_newest_first_and_hidden_in_reprs() -> None:
    other = "b3RoZXIta2V5LWZvci10ZXN0cy1vbmx5LTAwMDAwMDA="
    settings = load_settings(production(DATA_ENCRYPTION_KEYS=f" {DATA_KEY} , {other} "))

    assert settings.data_encryption_keys == (DATA_KEY, other)
    assert DATA_KEY not in repr(settings)


def test_development_needs_no_data_encryption_keys() -> None:
    assert load_settings({"APP_ENV": "development"}).data_encryption_keys == ()


@pytest.mark.parametrize("days", ["0", "366", "-1"])
def test_the_key_rotation_period_is_a_day_to_a_year(days: str) -> None:
    assert load_settings(production()).jwt_key_rotation_days == 90
    with pytest.raises(ConfigError, match=r"^JWT_KEY_ROTATION_DAYS"):
        load_settings(production(JWT_KEY_ROTATION_DAYS=days))
