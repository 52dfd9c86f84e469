"""Signing keys rotated and revoked with the real CLI while one gunicorn instance serves with two
workers, each with its own key cache, on PostgreSQL and Redis.

Under a steady load of logins, refreshes and `GET /users/me`: a rotation loses no request (no 401
for a live token, no 5xx) and the new key's tokens are issued and accepted by both workers; a
revoked key's tokens are refused by both workers within JWT_KEY_CACHE_SECONDS."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import pytest

from tests.e2e.stack import ROOT, Instance, Reply, app_environment, call
from tests.support.redis_server import RedisServer, free_port

PASSWORD = "Quiet-Harbour-Lantern-42"
ME = "/api/v1/users/me"
JWKS = "/.well-known/jwks.json"
CACHE_SECONDS = 1
ACTIVATION_SECONDS = 2
# The documented bound (JWT_KEY_CACHE_SECONDS) and a generous margin for a loaded machine.
REVOCATION_WAIT = CACHE_SECONDS + 5
ACCOUNTS = 4
CLIENTS = 4
# A steady load, short of saturating the workers: the CLI must start beside them.
PAUSE_SECONDS = 0.05


@dataclass
class Served:
    instance: Instance
    env: dict[str, str]


@pytest.fixture(scope="module")
def served(workdir: Path, e2e_database: str, e2e_redis: RedisServer) -> Iterator[Served]:
    env = app_environment(
        e2e_database,
        e2e_redis.url,
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="4",
        JWT_KEY_CACHE_SECONDS=str(CACHE_SECONDS),
        JWT_KEY_ACTIVATION_SECONDS=str(ACTIVATION_SECONDS),
        RATELIMIT_DEFAULT="100000 per minute",
        RATELIMIT_REGISTER="1000 per minute",
        RATELIMIT_LOGIN_IP="100000 per minute",
        RATELIMIT_LOGIN_EMAIL="100000 per minute",
        RATELIMIT_LOGIN_DEVICE="100000 per minute",
        RATELIMIT_REFRESH="100000 per minute",
    )
    instance = Instance("keys", free_port(), workdir, env, startup_seconds=90)
    try:
        instance.start()
        yield Served(instance=instance, env=env)
    finally:
        instance.stop()


def keys_cli(served: Served, *args: str) -> str:
    """`flask --app wsgi keys ...` in its own process, on the served database and settings."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "keys", *args],
        cwd=ROOT,
        env=served.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def added_kid(output: str) -> str:
    """The kid `keys rotate` names: `added KID (EdDSA), next, signs from ...`."""
    assert output.startswith("added "), output
    return output.split()[1]


def kid_of(token: str) -> str:
    kid: str = jwt.get_unverified_header(token)["kid"]
    return kid


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(port: int) -> str:
    email = f"rotation-{uuid.uuid4().hex[:10]}@example.com"
    created = call(port, "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "name": "R"})
    assert created.status == 201, created.body
    return email


def login(port: int, email: str) -> dict[str, str]:
    reply = call(port, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    assert reply.status == 200, reply.body
    tokens: dict[str, str] = reply.json()
    return tokens


@dataclass(frozen=True)
class Sent:
    """One request: what it was, which kid its token (sent or received) named, how it ended."""

    route: str
    request_id: str
    kid: str | None
    status: int


@dataclass
class Record:
    sent: list[Sent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sent: Sent) -> None:
        with self.lock:
            self.sent.append(sent)

    def snapshot(self) -> list[Sent]:
        with self.lock:
            return list(self.sent)


def request(
    port: int,
    record: Record,
    method: str,
    path: str,
    body: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """A request with its own X-Request-ID, so its access line (and worker pid) can be found."""
    request_id = uuid.uuid4().hex
    headers = {**(headers or {}), "X-Request-ID": request_id}
    reply = call(port, method, path, body, headers=headers)
    token = headers.get("Authorization", "").removeprefix("Bearer ")
    if path == ME:
        kid = kid_of(token)
    elif reply.status == 200:
        kid = kid_of(reply.json()["access_token"])
    else:
        kid = None
    record.add(Sent(route=path, request_id=request_id, kid=kid, status=reply.status))
    return reply


def client_loop(port: int, email: str, record: Record, stop: threading.Event) -> None:
    """Log in, call /users/me with the live access token, refresh, again; log in anew now and then."""
    while not stop.is_set():
        try:
            login = request(
                port, record, "POST", "/api/v1/auth/login", body={"email": email, "password": PASSWORD}
            )
            if login.status != 200:
                time.sleep(PAUSE_SECONDS)
                continue
            tokens = login.json()
            for _ in range(3):
                for _ in range(4):
                    request(port, record, "GET", ME, headers=bearer(tokens["access_token"]))
                    time.sleep(PAUSE_SECONDS)
                refreshed = request(
                    port, record, "POST", "/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"])
                )
                if refreshed.status != 200 or stop.is_set():
                    break
                tokens = refreshed.json()
        except (OSError, ValueError, KeyError) as error:
            record.errors.append(repr(error))


def pids_by_request(instance: Instance) -> dict[str, int]:
    """Which worker answered each request, from the access lines (they carry the worker's pid)."""
    time.sleep(0.3)  # the last lines reach the log file
    return {line["request_id"]: line["pid"] for line in instance.access_lines() if "pid" in line}


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_rotation_under_load_loses_no_request_and_both_workers_take_the_new_keys(served: Served) -> None:
    port = served.instance.port
    emails = [register(port) for _ in range(ACCOUNTS)]
    record = Record()
    stop = threading.Event()
    clients = [
        threading.Thread(target=client_loop, args=(port, emails[i % ACCOUNTS], record, stop))
        for i in range(CLIENTS)
    ]
    for client in clients:
        client.start()

    def me_calls_with(kid: str, at_least: int) -> bool:
        return sum(1 for s in record.snapshot() if s.route == ME and s.kid == kid) >= at_least

    try:
        assert wait_for(lambda: len(record.snapshot()) >= 100, timeout=15)
        [first] = {s.kid for s in record.snapshot() if s.route == ME}
        # The designed rotation: published at once, signing ACTIVATION_SECONDS later.
        rotated = added_kid(keys_cli(served, "rotate"))
        assert wait_for(lambda: me_calls_with(rotated, 40), timeout=15), "the next key never signed"
        # The emergency rotation: signing at once.
        emergency = added_kid(keys_cli(served, "rotate", "--now"))
        assert wait_for(lambda: me_calls_with(emergency, 40), timeout=15), "the --now key never signed"
        time.sleep(1)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=30)

    sent = record.snapshot()
    workers = pids_by_request(served.instance)
    me_statuses = Counter(s.status for s in sent if s.route == ME)
    other_statuses = Counter((s.route, s.status) for s in sent if s.route != ME)
    by_kid = Counter(s.kid for s in sent if s.route == ME)
    accepted_by = {
        kid: {workers[s.request_id] for s in sent if s.route == ME and s.kid == kid} for kid in by_kid
    }
    issued_by = {
        kid: {workers[s.request_id] for s in sent if s.route != ME and s.kid == kid and s.status == 200}
        for kid in by_kid
    }
    print(
        f"\n/users/me calls: {sum(me_statuses.values())} {dict(me_statuses)}; logins and refreshes: "
        f"{dict(other_statuses)}; per kid: {dict(by_kid)}; workers: {sorted(set(workers.values()))}"
    )

    assert record.errors == []
    names = {first: "first", rotated: "rotated", emergency: "--now"}
    refused = [
        (names.get(s.kid or ""), workers.get(s.request_id)) for s in sent if s.route == ME and s.status != 200
    ]
    assert me_statuses == {200: sum(me_statuses.values())}, (me_statuses, refused)  # no 401, no 5xx
    assert {status for _, status in other_statuses} == {200}, other_statuses
    assert set(by_kid) == {first, rotated, emergency}
    both = set(workers.values())
    assert len(both) == 2, both
    for kid in (rotated, emergency):
        assert issued_by[kid] == both, (kid, issued_by)
        assert accepted_by[kid] == both, (kid, accepted_by)


def burst(port: int, token: str, record: Record, size: int = 24) -> None:
    """Concurrent requests with one token: each on its own connection, so both workers take some."""
    threads = [
        threading.Thread(target=request, args=(port, record, "GET", ME), kwargs={"headers": bearer(token)})
        for _ in range(size)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


def answers_by_worker(served: Served, record: Record) -> dict[int, Counter[int]]:
    workers = pids_by_request(served.instance)
    answers: dict[int, Counter[int]] = {}
    for sent in record.snapshot():
        answers.setdefault(workers[sent.request_id], Counter())[sent.status] += 1
    return answers


def until_both_workers_answer(served: Served, token: str) -> dict[int, Counter[int]]:
    for _ in range(10):
        record = Record()
        burst(served.instance.port, token, record)
        answers = answers_by_worker(served, record)
        if len(answers) == 2:
            return answers
    raise AssertionError(f"one worker answered every burst: {answers}")


def test_a_revoked_key_is_refused_by_every_worker_within_the_cache_bound(served: Served) -> None:
    port = served.instance.port
    email = register(port)
    tokens = login(port, email)
    old = kid_of(tokens["access_token"])
    added_kid(keys_cli(served, "rotate", "--now"))
    time.sleep(CACHE_SECONDS + 0.5)  # every worker has read the new key: the old one is retiring
    # `old` no longer signs but is still published (retiring): its tokens are live.
    assert kid_of(login(port, email)["access_token"]) != old
    assert old in [key["kid"] for key in call(port, "GET", JWKS).json()["keys"]]
    before = until_both_workers_answer(served, tokens["access_token"])
    assert all(set(answers) == {200} for answers in before.values()), before

    keys_cli(served, "revoke", old)
    revoked_at = time.monotonic()
    # Poll until a burst is refused by both workers, or the bound (and its margin) has passed.
    while time.monotonic() - revoked_at < REVOCATION_WAIT:
        answers = until_both_workers_answer(served, tokens["access_token"])
        if all(set(counts) == {401} for counts in answers.values()):
            break
    refused_after = time.monotonic() - revoked_at
    after = until_both_workers_answer(served, tokens["access_token"])
    print(f"\nrevoked {old}: both workers refused it {refused_after:.1f} s after `keys revoke`; {after}")

    assert all(set(counts) == {401} for counts in after.values()), after
    assert call(port, "GET", ME, headers=bearer(login(port, email)["access_token"])).status == 200
