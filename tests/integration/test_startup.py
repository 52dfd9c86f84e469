"""The process refuses an unsafe production configuration with one clear line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# As `secrets.token_urlsafe(30)` makes one: production accepts it.
STRONG_KEY = "URGBlgLcdp_srO8f09rhC55wv0UmlZbS3878vuAC"
# Everything production needs; each test spoils one setting.
SAFE_PRODUCTION = {
    "APP_ENV": "production",
    "JWT_SECRET_KEY": STRONG_KEY,
    "DATABASE_URL": "postgresql://db/keel",
    "REDIS_URL": "redis://r:6379/0",
    "SMTP_URL": "smtp://mail:25",
    "MAIL_FROM": "no-reply@example.com",
    "FRONTEND_URL": "https://app.example.com",
    "DATA_ENCRYPTION_KEYS": "Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1rZXktMDA=",
    "JWT_ISSUER": "https://auth.example.com",
}


def _start_wsgi(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET_KEY", "DATABASE_URL", "APP_ENV")}
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_without_jwt_secret_refuses_to_start() -> None:
    result = _start_wsgi({"APP_ENV": "production", "DATABASE_URL": "postgresql://db/keel"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "JWT_SECRET_KEY" in lines[0]


def test_production_with_sqlite_refuses_to_start() -> None:
    result = _start_wsgi(
        {
            "APP_ENV": "production",
            "JWT_SECRET_KEY": STRONG_KEY,
            "DATABASE_URL": "sqlite:///x.db",
            "MAIL_FROM": "no-reply@example.com",
            "FRONTEND_URL": "https://app.example.com",
        }
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert STRONG_KEY not in result.stderr


def test_a_process_without_app_env_is_held_to_production_rules() -> None:
    result = _start_wsgi({"DATABASE_URL": "postgresql://db/keel"})
    assert result.returncode == 2
    assert "JWT_SECRET_KEY" in result.stderr


def test_a_process_without_app_env_never_gets_the_development_key(tmp_path: Path) -> None:
    probe = "from app.config import load_settings; s = load_settings(); print(s.app_env, s.jwt_secret_key == 'URGBlgLcdp_srO8f09rhC55wv0UmlZbS3878vuAC')"
    base = {k: v for k, v in os.environ.items() if k != "APP_ENV"}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={
            **base,
            "JWT_SECRET_KEY": STRONG_KEY,
            "DATABASE_URL": "postgresql://db/keel",
            "REDIS_URL": "redis://r:6379/0",
            "SMTP_URL": "smtp://mail:25",
            "MAIL_FROM": "no-reply@example.com",
            "FRONTEND_URL": "https://app.example.com",
            "DATA_ENCRYPTION_KEYS": "Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1rZXktMDA=",
            "JWT_ISSUER": "https://auth.example.com",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.split() == ["production", "True"], result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("JWT_SECRET_KEY", "k" * 48),
        ("PASSWORD_MEMORY_KIB", "8192"),
        ("FRONTEND_URL", "http://app.example.com"),
        ("PUBLIC_BASE_URL", "http://api.example.com"),
        ("CORS_ORIGINS", "http://app.example.com"),
        ("JWT_ACCESS_TTL_SECONDS", "86400"),
        ("REFRESH_REUSE_GRACE_SECONDS", "60"),
    ],
)
def test_production_refuses_a_setting_that_undoes_a_protection(variable: str, value: str) -> None:
    result = _start_wsgi({**SAFE_PRODUCTION, variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert STRONG_KEY not in result.stderr
