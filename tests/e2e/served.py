"""One Keel served over real HTTP with nothing but Python: gunicorn on a migrated SQLite file.

The browser and generated-client tests talk to Keel the way an outside caller does, so they need a
real server, but neither needs PostgreSQL, Redis or nginx: they must run on any developer machine.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.stack import Instance
from tests.support import databases
from tests.support.redis_server import free_port


@dataclass(frozen=True)
class ServedKeel:
    instance: Instance

    @property
    def port(self) -> int:
        return self.instance.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.instance.port}"

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, for failure messages."""
        text = self.instance.log_path.read_text(errors="replace") if self.instance.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def development_environment(database_url: str) -> dict[str, str]:
    """The development profile on one SQLite file; everything a developer's shell may set is pinned."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST", "COV_", "OTEL_"))}
    return {
        **base,
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        # Empty means unset: jobs run in-process and mail is only logged (app.composition).
        "REDIS_URL": "",
        "SMTP_URL": "",
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "API_DOCS_ENABLED": "true",
        "PUBLIC_BASE_URL": "",
        "CORS_ORIGINS": "",
        "TRUSTED_PROXIES": "0",
        "REQUIRE_VERIFIED_EMAIL": "false",
        "WEB_CONCURRENCY": "1",
        "PASSWORD_TIME_COST": "1",
        "PASSWORD_MEMORY_KIB": "8192",
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_DEFAULT": "100000 per minute",
        "RATELIMIT_REGISTER": "1000 per minute",
        "RATELIMIT_LOGIN_IP": "1000 per minute",
        "RATELIMIT_LOGIN_EMAIL": "1000 per minute",
        "RATELIMIT_REFRESH": "1000 per minute",
    }


@contextmanager
def served_keel(workdir: Path) -> Iterator[ServedKeel]:
    """gunicorn serving Keel on a free loopback port until the block ends."""
    database_url = databases.sqlite_url(workdir / "keel.db")
    environment = development_environment(database_url)
    databases.migrate(database_url, {"JWT_SECRET_KEY": environment["JWT_SECRET_KEY"]})
    instance = Instance("keel", free_port(), workdir, environment)
    served = ServedKeel(instance)
    try:
        try:
            instance.start()
        except RuntimeError as error:
            raise RuntimeError(f"{error}; the server's log ends:\n{served.log_tail()}") from None
        yield served
    finally:
        instance.stop()
