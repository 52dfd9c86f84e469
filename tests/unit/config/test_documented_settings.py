"""Every variable the settings read is documented in .env.example and in the README's tables."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [ROOT / "app" / "config.py", ROOT / "gunicorn.conf.py"]
VARIABLES = sorted(
    {
        name
        for path in SOURCES
        for name in re.findall(r'(?:env\.\w+|_int|environ\.get)\(\s*"([A-Z][A-Z0-9_]+)"', path.read_text())
    }
)


def test_settings_are_found() -> None:
    assert {"APP_ENV", "DATABASE_URL", "JWT_SECRET_KEY", "REDIS_URL", "WEB_CONCURRENCY", "BIND"} <= set(
        VARIABLES
    )


@pytest.mark.parametrize("name", VARIABLES)
def test_setting_is_documented(name: str) -> None:
    assert name in (ROOT / ".env.example").read_text(), f"{name} missing from .env.example"
    assert f"`{name}`" in (ROOT / "README.md").read_text(), f"{name} missing from the README"
