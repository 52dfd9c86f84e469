"""A worker's memory after concurrent logins, served by gunicorn with Keel's own gunicorn.conf.py.

A login's argon2id hash takes 19 MiB. With glibc's default of one malloc arena per thread, every
thread of a worker that ever hashed keeps its hash's memory after the login ends (8 threads, about
150 MiB per worker). gunicorn.conf.py puts the whole process in one arena, where freed hash memory
goes back to the system: at most about one hash's worth stays."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from tests.e2e.served import development_environment
from tests.e2e.stack import Instance, call
from tests.support import databases
from tests.support.concurrency import run_together
from tests.support.redis_server import free_port

HASH_MIB = 19456 / 1024  # the production default, PASSWORD_MEMORY_KIB=19456
THREADS = 8
EMAIL = "memory@example.com"
PASSWORD = "correct horse battery staple"


pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc" or not Path("/proc/self/status").exists(),
    reason="needs Linux with glibc: the arena setting is glibc's, and worker memory is read from /proc",
)


def worker_rss_mib(master_pid: int) -> float:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    assert len(children) == 1, children  # WEB_CONCURRENCY=1
    for line in Path(f"/proc/{children[0]}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_concurrent_logins_leave_at_most_one_hash_of_memory_in_a_worker(tmp_path: Path) -> None:
    database_url = databases.sqlite_url(tmp_path / "keel.db")
    env = {
        **development_environment(database_url),
        "PASSWORD_TIME_COST": "2",
        "PASSWORD_MEMORY_KIB": "19456",
        "GUNICORN_THREADS": str(THREADS),
    }
    env.pop("MALLOC_ARENA_MAX", None)
    databases.migrate(database_url, {"JWT_SECRET_KEY": env["JWT_SECRET_KEY"]})
    instance = Instance("memory", free_port(), tmp_path, env)
    instance.start()
    try:
        assert instance.process is not None
        registered = call(
            instance.port,
            "POST",
            "/api/v1/auth/register",
            {"email": EMAIL, "password": PASSWORD, "name": "M"},
        )
        assert registered.status == 201, registered.body
        before = worker_rss_mib(instance.process.pid)

        for _ in range(3):
            answers = run_together(
                THREADS,
                lambda _: (
                    call(
                        instance.port,
                        "POST",
                        "/api/v1/auth/login",
                        {"email": EMAIL, "password": PASSWORD},
                        timeout=60,
                    ).status
                ),
            )
            assert answers == [200] * THREADS
        grown = worker_rss_mib(instance.process.pid) - before
    finally:
        instance.stop()

    # An arena per thread would keep up to THREADS - 1 more hashes (7 x 19 MiB here).
    assert grown < 2 * HASH_MIB, f"the worker kept {grown:.1f} MiB after {3 * THREADS} logins"
