"""The outbox and the worker as production runs them: the worker a separate process
(`flask --app wsgi worker`) on Redis and PostgreSQL, mail to a real SMTP server on loopback.

Messages are recorded through the production unit of work, whose commit publishes them to Redis;
the claims are about processes: one that dies right after its commit, a worker killed mid-batch,
two workers at once, a mail server that is down.
"""

from __future__ import annotations

import collections
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app.composition import container
from app.extensions import db
from app.mail.messages import SEND_MAIL
from app.outbox.models import OutboxMessage
from tests.conftest import PG_URL
from tests.e2e.stack import ROOT, app_environment, listening_addresses
from tests.support import databases
from tests.support.redis_server import RedisServer, free_port
from tests.support.smtp_server import SmtpServer

pytestmark = pytest.mark.postgres_only

CONTEXT = {"name": "Outbox", "link": "https://app.keel.test/reset-password?token=t", "valid_minutes": 30}


@pytest.fixture
def database() -> Iterator[str]:
    if PG_URL is None:
        pytest.skip("the worker tests need TEST_DATABASE_URL (CI always sets it)")
    url = databases.create_pg_database(PG_URL, prefix="keel_worker")
    databases.migrate(url)
    yield url
    databases.drop_pg_database(url)


@pytest.fixture
def environment(database: str, redis_server: RedisServer, smtp: SmtpServer) -> dict[str, str]:
    return app_environment(
        database,
        redis_server.url,
        SMTP_URL=smtp.url,
        MAIL_MAX_ATTEMPTS="3",
        MAIL_RETRY_BASE_SECONDS="0.2",
        OUTBOX_SWEEP_INTERVAL_SECONDS="0.3",
        OUTBOX_SWEEP_GRACE_SECONDS="1",
        LOG_LEVEL="INFO",
    )


@pytest.fixture
def web(environment: dict[str, str]) -> Iterator[Flask]:
    """The web side in this process: its commits publish to the same Redis the workers consume."""
    keys = ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "MAIL_FROM", "FRONTEND_URL", "JWT_SECRET_KEY")
    app = databases.make_app(environment["DATABASE_URL"], {key: environment[key] for key in keys})
    yield app
    databases.dispose(app)


class Workers:
    def __init__(self, environment: dict[str, str], workdir: Path) -> None:
        self._environment = environment
        self._workdir = workdir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, *options: str) -> subprocess.Popen[bytes]:
        number = len(self.processes)
        log = (self._workdir / f"worker-{number}.log").open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "wsgi",
                "worker",
                "--threads",
                "2",
                "--heartbeat-file",
                str(self._workdir / f"heartbeat-{number}"),
                *options,
            ],
            cwd=ROOT,
            env=self._environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.processes.append(process)
        return process

    def log(self, number: int) -> str:
        return (self._workdir / f"worker-{number}.log").read_text()

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def workers(environment: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    running = Workers(environment, tmp_path)
    yield running
    running.stop_all()


def record_mails(app: Flask, recipients: list[str], *, commit: bool = True) -> None:
    with app.app_context():
        built = container()
        with built.unit_of_work() as uow:
            for to in recipients:
                uow.outbox.add(
                    SEND_MAIL, {"template": "password_reset", "to": to, "context": CONTEXT}, now=built.clock()
                )
            if commit:
                uow.commit()


def statuses(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        )
        result = {status: int(count) for status, count in rows}
        db.session.remove()
    return result


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def addresses(count: int) -> list[str]:
    batch = uuid.uuid4().hex[:6]
    return [f"r{number}-{batch}@example.com" for number in range(count)]


def delivered_to(smtp: SmtpServer) -> collections.Counter[str]:
    return collections.Counter(message["To"] for message in list(smtp.messages))


def test_a_committed_mail_is_delivered_by_the_worker_process(
    web: Flask, workers: Workers, smtp: SmtpServer
) -> None:
    port = free_port()
    workers.start("--metrics-port", str(port))
    [to] = addresses(1)
    record_mails(web, [to])
    [mail] = smtp.wait_for(1)
    assert mail["To"] == to
    wait_until(lambda: statuses(web) == {"done": 1}, what="the message to be marked done")
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'keel_outbox_messages_total{event="done"} 1.0' in metrics
    assert "keel_outbox_pending_messages" in metrics
    assert listening_addresses(port) == {"127.0.0.1"}  # --metrics-host: loopback unless told otherwise


def test_a_rolled_back_change_sends_nothing(web: Flask, workers: Workers, smtp: SmtpServer) -> None:
    workers.start()
    rolled_back, committed = addresses(2)
    record_mails(web, [rolled_back], commit=False)
    record_mails(web, [committed])
    smtp.wait_for(1)
    wait_until(lambda: statuses(web) == {"done": 1}, what="the committed message to be done")
    time.sleep(1.5)  # longer than the sweep's grace: nothing else can still be on its way
    assert list(delivered_to(smtp)) == [committed]


def test_a_web_process_killed_right_after_its_commit_loses_no_mail(
    environment: dict[str, str], workers: Workers, smtp: SmtpServer, web: Flask
) -> None:
    [to] = addresses(1)
    script = textwrap.dedent(
        f"""
        import os, signal
        from app import create_app
        from app.mail.messages import SEND_MAIL
        from app.composition import KeelUnitOfWork, container
        from app.extensions import db

        app = create_app()
        with app.app_context():
            # The process dies between the commit and the publish that follows it.
            uow = KeelUnitOfWork(db.session(), publish=lambda ids: os.kill(os.getpid(), signal.SIGKILL))
            with uow:
                uow.outbox.add(SEND_MAIL, {{"template": "password_reset", "to": {to!r}, "context": {CONTEXT!r}}},
                               now=container().clock())
                uow.commit()
        """
    )
    killed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    assert statuses(web) == {"pending": 1}

    workers.start()
    [mail] = smtp.wait_for(1)
    assert mail["To"] == to
    wait_until(lambda: statuses(web) == {"done": 1}, what="the swept message to be done")


def test_a_mail_server_that_is_down_is_retried_until_it_is_back(
    web: Flask, workers: Workers, smtp: SmtpServer
) -> None:
    smtp.stop()
    workers.start()
    [to] = addresses(1)
    record_mails(web, [to])

    def failed_once() -> bool:
        with web.app_context():
            attempts = db.session.scalar(sa.select(OutboxMessage.attempts))
            db.session.remove()
        return bool(attempts)

    wait_until(failed_once, what="a failed attempt")
    smtp.start()
    [mail] = smtp.wait_for(1, timeout=30)
    assert mail["To"] == to
    wait_until(lambda: statuses(web) == {"done": 1}, what="the message to be done")
    assert "outbox message failed; retrying" in workers.log(0)
    assert to not in workers.log(0)


def test_a_message_dies_after_its_last_attempt_and_the_cli_sends_it_again(
    environment: dict[str, str], web: Flask, workers: Workers, smtp: SmtpServer
) -> None:
    smtp.stop()
    workers.start()
    [to] = addresses(1)
    record_mails(web, [to])
    wait_until(lambda: statuses(web) == {"dead": 1}, timeout=60, what="the message to die after 3 attempts")
    with web.app_context():
        message = db.session.scalars(sa.select(OutboxMessage)).one()
        assert message.attempts == 3
        assert message.last_error is not None
        assert to not in message.last_error
        db.session.remove()

    def flask_cli(*arguments: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *arguments],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout

    listed = flask_cli("outbox", "dead")
    assert str(message.id) in listed
    assert "attempts=3" in listed
    assert to not in listed

    smtp.start()
    assert "queued 1 message(s) again" in flask_cli("outbox", "retry", "--all")
    [mail] = smtp.wait_for(1)
    assert mail["To"] == to
    wait_until(lambda: statuses(web) == {"done": 1}, what="the revived message to be done")
    assert "0 dead message(s)" in flask_cli("outbox", "dead")


def test_a_worker_killed_mid_batch_and_restarted_loses_nothing(
    web: Flask, workers: Workers, smtp: SmtpServer
) -> None:
    smtp.delay_seconds = 0.2
    first = workers.start()
    recipients = addresses(12)
    record_mails(web, recipients)
    smtp.wait_for(3, timeout=30)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert len(smtp.messages) < len(recipients), "the batch finished before the kill; nothing was tested"

    workers.start()
    wait_until(
        lambda: statuses(web) == {"done": len(recipients)}, timeout=60, what="every message to be done"
    )
    assert set(delivered_to(smtp)) == set(recipients)


def test_two_workers_at_once_deliver_each_message_once(
    web: Flask, workers: Workers, smtp: SmtpServer
) -> None:
    smtp.delay_seconds = 0.05
    recipients = addresses(30)
    record_mails(web, recipients)
    workers.start()
    workers.start()
    wait_until(
        lambda: statuses(web) == {"done": len(recipients)}, timeout=60, what="every message to be done"
    )
    counts = delivered_to(smtp)
    assert set(counts) == set(recipients)
    assert set(counts.values()) == {1}
    assert all("worker started" in workers.log(number) for number in (0, 1))


def test_the_worker_beats_and_stops_cleanly_on_sigterm(workers: Workers, tmp_path: Path) -> None:
    process = workers.start()
    wait_until(lambda: "worker started" in workers.log(0), what="the worker to start")
    heartbeat = tmp_path / "heartbeat-0"
    wait_until(heartbeat.exists, what="the heartbeat file")
    assert abs(int(heartbeat.read_text()) - time.time()) < 30
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=40) == 0
    assert "worker stopped" in workers.log(0)
