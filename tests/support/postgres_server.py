"""A private, throwaway PostgreSQL cluster (initdb + pg_ctl), so a test may stop and start it without
touching the server other tests share."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from tests.support.redis_server import free_port
from tests.support.tools import require_program

PG_BIN_DIRS = tuple(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))
INSTALL = "apt-get install postgresql"


def _program(name: str) -> str:
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    return require_program(name, install=INSTALL)


class PostgresServer:
    """initdb refuses to run as root: as root, the cluster is owned and run by the `postgres` user."""

    def __init__(self) -> None:
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="keel-pg-"))
        self.datadir = self.workdir / "data"
        self._as: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.workdir, owner.pw_uid, owner.pw_gid)
            self._as = [require_program("runuser", install="util-linux"), "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as, *command], check=True, capture_output=True, timeout=60)

    def init(self) -> PostgresServer:
        self._run(_program("initdb"), "-D", str(self.datadir), "-U", "postgres", "--auth=trust", "--no-sync")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.workdir} -c fsync=off"
        self._run(
            _program("pg_ctl"),
            "-D",
            str(self.datadir),
            "-o",
            options,
            "-l",
            str(self.workdir / "log"),
            "-w",
            "start",
        )
        self._wait_until_ready()

    def stop(self, mode: str = "fast") -> None:
        self._run(_program("pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _wait_until_ready(self) -> None:
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 1})
        try:
            for _ in range(100):
                try:
                    with engine.connect():
                        return
                except sa.exc.OperationalError:
                    time.sleep(0.05)
            raise RuntimeError("the private PostgreSQL did not start")
        finally:
            engine.dispose()
