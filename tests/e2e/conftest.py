"""The deployment under test: two gunicorn instances sharing PostgreSQL and Redis, nginx in front."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.e2e.served import ServedKeel, served_keel
from tests.e2e.stack import KEY_SECRETS, Instance, Nginx, app_environment
from tests.support import databases
from tests.support.redis_server import RedisServer, free_port
from tests.support.tools import require_program


@dataclass
class Stack:
    nginx: Nginx
    instances: list[Instance]
    database_url: str


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedKeel]:
    """One gunicorn-served Keel on SQLite (development profile): no PostgreSQL, Redis or nginx needed."""
    with served_keel(tmp_path_factory.mktemp("served")) as keel:
        yield keel


@pytest.fixture(scope="module")
def e2e_database() -> Iterator[str]:
    if PG_URL is None:
        pytest.skip("the deployment tests need TEST_DATABASE_URL (CI always sets it)")
    require_program("nginx", install="apt-get install nginx")
    url = databases.create_pg_database(PG_URL, prefix="keel_e2e")
    databases.migrate(url, KEY_SECRETS)
    yield url
    databases.drop_pg_database(url)


@pytest.fixture(scope="module")
def e2e_redis(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(workdir: Path, e2e_database: str, e2e_redis: RedisServer) -> Iterator[Stack]:
    env = app_environment(
        e2e_database,
        e2e_redis.url,
        RATELIMIT_LOGIN_EMAIL="3 per minute",
        RATELIMIT_LOGIN_IP="1000 per minute",
        RATELIMIT_REGISTER="1000 per minute",
        RATELIMIT_DEFAULT="100000 per minute",
    )
    instances = [Instance(name, free_port(), workdir, env) for name in ("one", "two")]
    nginx = Nginx(workdir, [instance.port for instance in instances])
    try:
        for instance in instances:
            instance.start()
        nginx.start()
        yield Stack(nginx=nginx, instances=instances, database_url=e2e_database)
    finally:
        nginx.stop()
        for instance in instances:
            instance.stop()
