"""Typed settings, read from the environment once at start-up and validated per profile."""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from dotenv import dotenv_values
from environs import Env, EnvError
from limits import parse_many
from marshmallow import ValidationError
from marshmallow.validate import OneOf, Range

from app.mail.smtp import SmtpEndpoint

PROFILES = ("development", "test", "production")
# A process that does not say what it is gets the safe answer: `make run` and the tests say so.
DEFAULT_PROFILE = "production"
MIN_SECRET_BYTES = 32
# The `iss` of a development instance: production must name its own (other services trust it).
DEV_ISSUER = "http://localhost:8000"
# Only for development and tests: production refuses to start without its own key.
_DEV_SECRET = "keel-development-only-secret-key-do-not-deploy"  # noqa: S105


# Example keys in docs and manifests contain this; a real key never should.
_PLACEHOLDER = "change-me"
# A signing key's strength by its own characters: length x Shannon entropy per character. One
# repeated character or blanks score 0; `secrets.token_urlsafe(48)` scores about 330.
MIN_SECRET_ENTROPY_BITS = 128
# OWASP's argon2id minimums (Password Storage Cheat Sheet), as (memory KiB, passes) pairs at p=1:
# a setting passes at or above one of them.
ARGON2_MINIMUMS = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))
MAX_ACCESS_TTL_SECONDS = 3600
MAX_REFRESH_GRACE_SECONDS = 10
# Production protections a deployment may deliberately waive by listing the variable in
# ALLOW_UNSAFE_SETTINGS; a weak signing key has no such way out.
WAIVABLE = (
    "PASSWORD_MEMORY_KIB",
    "FRONTEND_URL",
    "PUBLIC_BASE_URL",
    "CORS_ORIGINS",
    "JWT_ACCESS_TTL_SECONDS",
    "REFRESH_REUSE_GRACE_SECONDS",
    "METRICS_BIND",
)
_LOOPBACK_HOSTS = ("localhost",)
_POSITIVE = Range(min=1)
_NON_NEGATIVE = Range(min=0)
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A setting is missing or unsafe; the message names the variable."""


class Secret(str):
    """A string that does not show itself in reprs, tracebacks or logs."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('**********')"


@dataclass(frozen=True, kw_only=True)
class Settings:
    app_env: str
    database_url: str
    redis_url: str | None
    jwt_secret_key: Secret
    jwt_access_ttl_seconds: int
    jwt_refresh_ttl_seconds: int
    cors_origins: tuple[str, ...]
    public_base_url: str | None
    api_docs_enabled: bool
    trusted_proxies: int
    forwarded_allow_ips: tuple[str, ...]
    metrics_bind: str | None
    ratelimit_enabled: bool
    ratelimit_default: str
    ratelimit_register: str
    ratelimit_login_ip: str
    ratelimit_login_email: str
    ratelimit_login_device: str
    device_token_ttl_seconds: int
    ratelimit_refresh: str
    log_level: str
    log_format: str
    max_content_length: int
    db_connect_timeout_seconds: int
    db_statement_timeout_ms: int
    db_pool_size: int
    db_max_overflow: int
    db_pool_timeout_seconds: int
    redis_timeout_seconds: float
    hsts_seconds: int
    password_time_cost: int
    password_memory_kib: int
    password_parallelism: int
    web_concurrency: int
    refresh_reuse_grace_seconds: int
    session_lifetime_seconds: int
    reauth_max_age_seconds: int
    smtp_url: Secret | None
    smtp_timeout_seconds: float
    mail_from: str
    frontend_url: str
    mail_max_attempts: int
    mail_retry_base_seconds: float
    mail_per_recipient_per_hour: int
    outbox_sweep_interval_seconds: float
    outbox_sweep_grace_seconds: float
    password_reset_ttl_seconds: int
    ratelimit_password_reset: str
    ratelimit_password_reset_email: str
    ratelimit_password_reset_confirm: str
    email_verification_ttl_seconds: int
    require_verified_email: bool
    ratelimit_verify_email: str
    audit_retention_days: int
    idempotency_ttl_seconds: int
    idempotency_lock_seconds: int
    allow_unsafe_settings: tuple[str, ...]
    # Fernet keys for data encrypted at rest (TOTP secrets): the first encrypts, all decrypt. Empty
    # outside production: a key derived from JWT_SECRET_KEY is used instead.
    data_encryption_keys: tuple[Secret, ...]
    mfa_issuer: str
    mfa_token_ttl_seconds: int
    # Access tokens: signed with a key from the database (EdDSA, or ES256), for this issuer and audience.
    jwt_access_algorithm: str
    jwt_issuer: str
    jwt_audience: str
    jwt_key_activation_seconds: int
    jwt_key_cache_seconds: int
    jwt_key_rotation_days: int
    ratelimit_api_keys: str
    # make resource: generated settings above this line

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class _MappingEnv(Env):
    """environs reads os.environ; this reads a given mapping so overrides need no patching."""

    def __init__(self, source: Mapping[str, str]) -> None:
        super().__init__(eager=False)
        self._source = source

    def _get_value(self, env_key: str, default: Any) -> Any:
        return self._source.get(env_key, default)


def _source(overrides: Mapping[str, Any] | None) -> dict[str, str]:
    environ = dict(os.environ)
    given = {key: str(value) for key, value in (overrides or {}).items()}
    profile = given.get("APP_ENV", environ.get("APP_ENV", DEFAULT_PROFILE))
    dotenv: dict[str, str] = {}
    if profile == "development" and Path(".env").is_file():
        dotenv = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    return {**dotenv, **environ, **given}


def load_settings(overrides: Mapping[str, Any] | None = None, *, instance_path: str = "instance") -> Settings:
    """Parse and validate every setting; raise ConfigError naming the first bad variable."""
    env = _MappingEnv(_source(overrides))
    app_env = env.str("APP_ENV", DEFAULT_PROFILE, validate=OneOf(PROFILES))
    dev_like = app_env != "production"
    default_db = f"sqlite:///{Path(instance_path).resolve() / 'keel.db'}"
    values: dict[str, Any] = {
        "app_env": app_env,
        "database_url": env.str("DATABASE_URL", default_db),
        "redis_url": env.str("REDIS_URL", None) or None,
        "jwt_secret_key": env.str("JWT_SECRET_KEY", _DEV_SECRET) if dev_like else env.str("JWT_SECRET_KEY"),
        "jwt_access_ttl_seconds": env.int("JWT_ACCESS_TTL_SECONDS", 900, validate=_POSITIVE),
        "jwt_refresh_ttl_seconds": env.int("JWT_REFRESH_TTL_SECONDS", 30 * 86400, validate=_POSITIVE),
        "cors_origins": _origins(env.str("CORS_ORIGINS", "", validate=_exact_origins)),
        "public_base_url": env.str("PUBLIC_BASE_URL", "", validate=_base_url) or None,
        "api_docs_enabled": env.bool("API_DOCS_ENABLED", True),
        "trusted_proxies": env.int("TRUSTED_PROXIES", 0, validate=Range(min=0, max=10)),
        "forwarded_allow_ips": _proxy_addresses(
            env.str("FORWARDED_ALLOW_IPS", "127.0.0.1,::1", validate=_proxy_address_list)
        ),
        # Where gunicorn's master serves /metrics, apart from the app port. Empty: the app port
        # serves them itself (development's default; production refuses it unless waived).
        "metrics_bind": env.str(
            "METRICS_BIND", "" if app_env == "development" else "127.0.0.1:9102", validate=_metrics_bind
        )
        or None,
        "ratelimit_enabled": env.bool("RATELIMIT_ENABLED", True),
        "ratelimit_default": env.str("RATELIMIT_DEFAULT", "300 per minute", validate=_rate_limit),
        "ratelimit_register": env.str("RATELIMIT_REGISTER", "10 per minute", validate=_rate_limit),
        "ratelimit_login_ip": env.str("RATELIMIT_LOGIN_IP", "30 per minute", validate=_rate_limit),
        "ratelimit_login_email": env.str("RATELIMIT_LOGIN_EMAIL", "10 per 15 minutes", validate=_rate_limit),
        "ratelimit_login_device": env.str(
            "RATELIMIT_LOGIN_DEVICE", "10 per 15 minutes", validate=_rate_limit
        ),
        "device_token_ttl_seconds": env.int("DEVICE_TOKEN_TTL_SECONDS", 365 * 86400, validate=Range(min=60)),
        "ratelimit_refresh": env.str("RATELIMIT_REFRESH", "60 per minute", validate=_rate_limit),
        "log_level": env.str("LOG_LEVEL", "INFO", validate=lambda v: OneOf(_LOG_LEVELS)(v.upper())),
        "log_format": env.str(
            "LOG_FORMAT",
            "text" if app_env == "development" else "json",
            validate=OneOf(("json", "text")),
        ),
        "max_content_length": env.int("MAX_CONTENT_LENGTH", 1024 * 1024, validate=_POSITIVE),
        "db_connect_timeout_seconds": env.int("DB_CONNECT_TIMEOUT_SECONDS", 5, validate=_POSITIVE),
        "db_statement_timeout_ms": env.int("DB_STATEMENT_TIMEOUT_MS", 15000, validate=_POSITIVE),
        "db_pool_size": env.int("DB_POOL_SIZE", 5, validate=_POSITIVE),
        "db_max_overflow": env.int("DB_MAX_OVERFLOW", 5, validate=_NON_NEGATIVE),
        "db_pool_timeout_seconds": env.int("DB_POOL_TIMEOUT_SECONDS", 5, validate=_POSITIVE),
        "redis_timeout_seconds": env.float(
            "REDIS_TIMEOUT_SECONDS", 0.5, validate=Range(min=0, min_inclusive=False)
        ),
        "hsts_seconds": env.int("HSTS_SECONDS", 0, validate=_NON_NEGATIVE),
        "password_time_cost": env.int(
            "PASSWORD_TIME_COST", 1 if app_env == "test" else 2, validate=_POSITIVE
        ),
        "password_memory_kib": env.int(
            "PASSWORD_MEMORY_KIB", 1024 if app_env == "test" else 19456, validate=Range(min=8)
        ),
        "password_parallelism": env.int("PASSWORD_PARALLELISM", 1, validate=_POSITIVE),
        "web_concurrency": env.int("WEB_CONCURRENCY", default_workers(), validate=_POSITIVE),
        "refresh_reuse_grace_seconds": env.int(
            "REFRESH_REUSE_GRACE_SECONDS", 2, validate=Range(min=0, max=60)
        ),
        "session_lifetime_seconds": env.int("SESSION_LIFETIME_SECONDS", 90 * 86400, validate=_POSITIVE),
        # How old a session's last proof of the password may be for a grave step (deleting one's own
        # account): long enough to retry after reauthenticating, never a whole working session.
        "reauth_max_age_seconds": env.int("REAUTH_MAX_AGE_SECONDS", 300, validate=Range(min=10, max=3600)),
        "smtp_url": env.str("SMTP_URL", "", validate=_smtp_url) or None,
        "smtp_timeout_seconds": env.float(
            "SMTP_TIMEOUT_SECONDS", 10.0, validate=Range(min=0, min_inclusive=False)
        ),
        "mail_from": env.str("MAIL_FROM", "Keel <no-reply@localhost>", validate=_mail_from)
        if dev_like
        else env.str("MAIL_FROM", validate=_mail_from),
        "frontend_url": env.str("FRONTEND_URL", "http://localhost:3000", validate=_frontend_url)
        if dev_like
        else env.str("FRONTEND_URL", validate=_frontend_url),
        "mail_max_attempts": env.int("MAIL_MAX_ATTEMPTS", 8, validate=Range(min=1, max=100)),
        "mail_retry_base_seconds": env.float(
            "MAIL_RETRY_BASE_SECONDS", 15.0, validate=Range(min=0, min_inclusive=False)
        ),
        "mail_per_recipient_per_hour": env.int("MAIL_PER_RECIPIENT_PER_HOUR", 5, validate=_POSITIVE),
        "outbox_sweep_interval_seconds": env.float(
            "OUTBOX_SWEEP_INTERVAL_SECONDS", 30.0, validate=Range(min=0, min_inclusive=False)
        ),
        "outbox_sweep_grace_seconds": env.float("OUTBOX_SWEEP_GRACE_SECONDS", 60.0, validate=Range(min=0)),
        "password_reset_ttl_seconds": env.int("PASSWORD_RESET_TTL_SECONDS", 1800, validate=Range(min=60)),
        "ratelimit_password_reset": env.str("RATELIMIT_PASSWORD_RESET", "10 per hour", validate=_rate_limit),
        "ratelimit_password_reset_email": env.str(
            "RATELIMIT_PASSWORD_RESET_EMAIL", "3 per hour", validate=_rate_limit
        ),
        "email_verification_ttl_seconds": env.int(
            "EMAIL_VERIFICATION_TTL_SECONDS", 3 * 86400, validate=Range(min=60)
        ),
        "require_verified_email": env.bool("REQUIRE_VERIFIED_EMAIL", False),
        "audit_retention_days": env.int("AUDIT_RETENTION_DAYS", 365, validate=Range(min=1)),
        "idempotency_ttl_seconds": env.int("IDEMPOTENCY_TTL_SECONDS", 86_400, validate=Range(min=60)),
        "idempotency_lock_seconds": env.int("IDEMPOTENCY_LOCK_SECONDS", 60, validate=Range(min=1)),
        "allow_unsafe_settings": _names(env.str("ALLOW_UNSAFE_SETTINGS", "", validate=_waivable_names)),
        "ratelimit_verify_email": env.str("RATELIMIT_VERIFY_EMAIL", "10 per hour", validate=_rate_limit),
        "ratelimit_password_reset_confirm": env.str(
            "RATELIMIT_PASSWORD_RESET_CONFIRM", "10 per 15 minutes", validate=_rate_limit
        ),
        "data_encryption_keys": _names_as_given(env.str("DATA_ENCRYPTION_KEYS", "")),
        "mfa_issuer": env.str("MFA_ISSUER", "Keel", validate=_issuer),
        "mfa_token_ttl_seconds": env.int("MFA_TOKEN_TTL_SECONDS", 300, validate=Range(min=30, max=3600)),
        "jwt_access_algorithm": env.str("JWT_ACCESS_ALGORITHM", "EdDSA", validate=OneOf(("EdDSA", "ES256"))),
        "jwt_issuer": env.str("JWT_ISSUER", DEV_ISSUER, validate=_token_name),
        "jwt_audience": env.str("JWT_AUDIENCE", "keel", validate=_token_name),
        # A new key signs only once every verifier's cached JWKS (max-age 300) has had time to name it.
        "jwt_key_activation_seconds": env.int("JWT_KEY_ACTIVATION_SECONDS", 900, validate=Range(min=0)),
        "jwt_key_cache_seconds": env.int("JWT_KEY_CACHE_SECONDS", 10, validate=Range(min=0, max=10)),
        # The worker adds the next key once the newest is this old: at least a day, at most a year.
        "jwt_key_rotation_days": env.int("JWT_KEY_ROTATION_DAYS", 90, validate=Range(min=1, max=365)),
        "ratelimit_api_keys": env.str("RATELIMIT_API_KEYS", "60 per minute", validate=_rate_limit),
        # make resource: generated settings are read above this line
    }
    try:
        env.seal()
    except EnvError as error:
        raise ConfigError(_first_error(error)) from None
    if app_env == "development" and not values["cors_origins"]:
        # The browser app development pairs with: the front end that mailed links point to.
        values["cors_origins"] = (origin_of(values["frontend_url"]),)
    values["jwt_secret_key"] = Secret(values["jwt_secret_key"])
    if values["smtp_url"] is not None:
        values["smtp_url"] = Secret(values["smtp_url"])
    values["data_encryption_keys"] = tuple(Secret(key) for key in values["data_encryption_keys"])
    values["log_level"] = values["log_level"].upper()
    settings = Settings(**values)
    _check_safety(settings)
    return settings


def default_workers() -> int:
    """gunicorn's worker count when WEB_CONCURRENCY is unset; the safety check needs the same number."""
    return min((os.cpu_count() or 1) * 2, 8)


def _rate_limit(value: str) -> None:
    """A typo in a limit must stop the start, not silently switch throttling off."""
    try:
        parse_many(value)
    except ValueError as error:
        raise ValidationError(f"not a rate limit ({error})") from None


def _proxy_addresses(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


def host_and_port(bind: str) -> tuple[str, int]:
    """`host:port` or `[ipv6]:port`, as METRICS_BIND takes it; ValueError for anything else."""
    host, colon, port = bind.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not (colon and host and port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"not host:port: {bind!r}")
    ipaddress.ip_address(host)
    return host, int(port)


def _metrics_bind(value: str) -> None:
    if not value:
        return
    try:
        host_and_port(value)
    except ValueError:
        raise ValidationError(
            "must be address:port (127.0.0.1:9102, 0.0.0.0:9102, [::]:9102), or empty for the app port"
        ) from None


def _proxy_address_list(value: str) -> None:
    """Addresses or networks of the proxies whose forwarding headers are believed; `*` only if written."""
    for part in _proxy_addresses(value):
        if part == "*":
            continue
        try:
            ipaddress.ip_network(part)
        except ValueError:
            raise ValidationError(f"not an IP address or network: {part!r}") from None


# scheme://host[:port], nothing more: an origin is compared as a whole string, never as a pattern.
_ORIGIN = re.compile(
    r"https?://[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?"
)


def _exact_origins(value: str) -> None:
    """Credentials are allowed for these origins, so `*`, `null` and patterns would hand them to anyone."""
    for origin in _origins(value):
        if not _ORIGIN.fullmatch(origin):
            raise ValidationError(
                f"{origin!r} is not an exact origin (scheme://host[:port], lower case, no path, no wildcard)"
            )


def _base_url(value: str) -> None:
    if value and not _ORIGIN.fullmatch(value):
        raise ValidationError("must be scheme://host[:port] (lower case, no path, no trailing slash)")


def _smtp_url(value: str) -> None:
    if not value:
        return
    try:
        SmtpEndpoint.parse(value)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def _mail_from(value: str) -> None:
    if "@" not in parseaddr(value)[1]:
        raise ValidationError("must be an address, optionally with a name: Keel <no-reply@example.com>")


def origin_of(url: str) -> str:
    """A URL's origin as a browser sends it in `Origin`: lower case, without the scheme's default port."""
    parts = urlsplit(url)
    scheme, host, port = parts.scheme.lower(), parts.hostname or "", parts.port
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


def _frontend_url(value: str) -> None:
    """Links in mails start with it: scheme://host[:port][/path], no query, no trailing slash."""
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or value.endswith("/")
    ):
        raise ValidationError("must be http(s)://host[:port][/path] with no query and no trailing slash")


def _names(raw: str | None) -> tuple[str, ...]:
    return tuple(name.strip().upper() for name in (raw or "").split(",") if name.strip())


def _names_as_given(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


def _check_data_keys(keys: tuple[str, ...]) -> None:
    """Each a Fernet key (32 url-safe base64 bytes); the message never repeats a key."""
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ConfigError(
                f"DATA_ENCRYPTION_KEYS: key {position} is not a Fernet key; generate one: python -c "
                '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            ) from None


def _issuer(value: str) -> None:
    """Authenticator apps show it and split the label at its colon."""
    if not value.strip() or ":" in value or len(value) > 64:
        raise ValidationError("must be 1 to 64 characters without a colon")


def _token_name(value: str) -> None:
    if not value.strip() or len(value) > 200:
        raise ValidationError("must be 1 to 200 characters")


def _waivable_names(value: str) -> None:
    """A typo must not look like a waiver that does nothing, nor waive something unnamed."""
    for name in _names(value):
        if name not in WAIVABLE:
            raise ValidationError(f"{name!r} is not a protection that can be waived ({', '.join(WAIVABLE)})")


def _origins(raw: str | None) -> tuple[str, ...]:
    return tuple(origin.strip() for origin in (raw or "").split(",") if origin.strip())


def _first_error(error: EnvError) -> str:
    messages: Mapping[str, list[str]] = getattr(error, "error_messages", {})
    for name, problems in messages.items():
        return f"{name}: {'; '.join(problems)}"
    return str(error)  # pragma: no cover - environs always names the variable


def _check_safety(settings: Settings) -> None:
    if len(settings.jwt_secret_key.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(f"JWT_SECRET_KEY: must be at least {MIN_SECRET_BYTES} bytes")
    if not settings.is_production:
        _check_data_keys(settings.data_encryption_keys)
        return
    if settings.jwt_secret_key == _DEV_SECRET or _PLACEHOLDER in settings.jwt_secret_key.lower():
        raise ConfigError("JWT_SECRET_KEY: a development or example key cannot be used in production")
    _check_secret_strength(settings.jwt_secret_key)
    _check_data_keys(settings.data_encryption_keys)
    if settings.is_sqlite:
        raise ConfigError("DATABASE_URL: SQLite is not supported in production; use PostgreSQL")
    if settings.jwt_issuer == DEV_ISSUER:
        raise ConfigError(
            f"JWT_ISSUER: {DEV_ISSUER} is the development issuer; set the URL the services that "
            "verify Keel's access tokens know it by (https://auth.example.com)"
        )
    if settings.smtp_url is None:
        raise ConfigError("SMTP_URL: required in production, where mail is never only logged")
    if settings.redis_url is None:
        raise ConfigError("REDIS_URL: required in production: the job queue and shared rate limits run on it")
    if not settings.data_encryption_keys:
        raise ConfigError(
            "DATA_ENCRYPTION_KEYS: required in production, where second-factor secrets are encrypted "
            "with a key of their own, never one derived from JWT_SECRET_KEY"
        )
    for variable, problem in _weakened_protections(settings):
        if variable not in settings.allow_unsafe_settings:
            raise ConfigError(
                f"{variable}: {problem}; to start anyway, list {variable} in ALLOW_UNSAFE_SETTINGS"
            )


def _check_secret_strength(secret: str) -> None:
    if secret != secret.strip():
        raise ConfigError("JWT_SECRET_KEY: starts or ends with whitespace (a copy error?)")
    if entropy_bits(secret) < MIN_SECRET_ENTROPY_BITS:
        raise ConfigError(
            f"JWT_SECRET_KEY: too predictable (under {MIN_SECRET_ENTROPY_BITS} bits by its characters); "
            'generate one: python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )


def entropy_bits(text: str) -> float:
    """Length x Shannon entropy per character: low for few distinct characters or one repeated."""
    counts = Counter(text)
    return -sum(count * math.log2(count / len(text)) for count in counts.values())


def _weakened_protections(settings: Settings) -> list[tuple[str, str]]:
    """Each setting that undoes a protection, with why; production refuses those not waived."""
    found: list[tuple[str, str]] = []
    memory, passes = settings.password_memory_kib, settings.password_time_cost
    if not any(memory >= minimum and passes >= at for minimum, at in ARGON2_MINIMUMS):
        needed = min(minimum for minimum, at in ARGON2_MINIMUMS if passes >= at)  # t >= 1: one applies
        found.append(
            (
                "PASSWORD_MEMORY_KIB",
                f"argon2id m={memory} KiB, t={passes} is below OWASP's minimum "
                f"(m>={needed} KiB at t={passes}; pairs m/t: "
                + ", ".join(f"{minimum}/{at}" for minimum, at in ARGON2_MINIMUMS)
                + ")",
            )
        )
    urls: dict[str, tuple[str, ...]] = {
        "FRONTEND_URL": (settings.frontend_url,),
        "PUBLIC_BASE_URL": (settings.public_base_url or "",),
        "CORS_ORIGINS": settings.cors_origins,
    }
    for variable, values in urls.items():
        insecure = [value for value in values if _plain_http(value)]
        if insecure:
            found.append((variable, f"{insecure[0]} is plain http:// (only localhost may be); use https://"))
    if settings.jwt_access_ttl_seconds > MAX_ACCESS_TTL_SECONDS:
        found.append(
            (
                "JWT_ACCESS_TTL_SECONDS",
                f"access tokens cannot be revoked one by one; at most {MAX_ACCESS_TTL_SECONDS} seconds",
            )
        )
    if settings.metrics_bind is None:
        found.append(("METRICS_BIND", "empty serves /metrics on the app port, which the ingress reaches"))
    if settings.refresh_reuse_grace_seconds > MAX_REFRESH_GRACE_SECONDS:
        found.append(
            (
                "REFRESH_REUSE_GRACE_SECONDS",
                f"a stolen refresh token is not caught within the grace; at most {MAX_REFRESH_GRACE_SECONDS}",
            )
        )
    return found


def _plain_http(url: str) -> bool:
    """http:// to anywhere but this machine: tokens, reset links and cookies would cross in clear."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        return False
    host = parts.hostname or ""
    if host in _LOOPBACK_HOSTS:
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True
