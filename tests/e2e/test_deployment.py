"""End to end, as deployed: nginx in front of two Keel instances sharing PostgreSQL and Redis."""

from __future__ import annotations

import http.client
import re
import threading
import time
import uuid
from collections import Counter

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.stack import Reply, call, listening_addresses

PASSWORD = "Quiet-Harbour-Lantern-42"


def register_and_login(port: int) -> tuple[str, dict[str, str]]:
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    created = call(
        port, "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "name": "E2E"}
    )
    assert created.status == 201, created.body
    login = call(port, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    assert login.status == 200, login.body
    return email, login.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_through_the_proxy_is_served_by_both_instances(stack: Stack) -> None:
    _, tokens = register_and_login(stack.nginx.port)
    before = [len(instance.access_lines()) for instance in stack.instances]
    for _ in range(10):
        assert (
            call(stack.nginx.port, "GET", "/api/v1/users/me", headers=bearer(tokens["access_token"])).status
            == 200
        )
    served = [
        len(instance.access_lines()) - count for instance, count in zip(stack.instances, before, strict=True)
    ]
    assert all(count > 0 for count in served), served


def test_refresh_on_one_instance_makes_the_old_token_fail_on_the_other(stack: Stack) -> None:
    one, two = stack.instances
    _, tokens = register_and_login(stack.nginx.port)
    rotated = call(one.port, "POST", "/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert rotated.status == 200
    retry = call(two.port, "POST", "/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert (retry.status, retry.json()["code"]) == (401, "token_revoked")  # a retry, within the grace
    time.sleep(2.2)  # past REFRESH_REUSE_GRACE_SECONDS: now it is a replay
    replay = call(two.port, "POST", "/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert replay.status == 401
    assert replay.json()["code"] == "token_reused"
    new_access = rotated.json()["access_token"]
    assert call(one.port, "GET", "/api/v1/users/me", headers=bearer(new_access)).status == 401


def test_logout_refuses_the_access_token_on_every_instance(stack: Stack) -> None:
    _, tokens = register_and_login(stack.nginx.port)
    for instance in stack.instances:
        assert (
            call(instance.port, "GET", "/api/v1/users/me", headers=bearer(tokens["access_token"])).status
            == 200
        )
    assert (
        call(stack.nginx.port, "POST", "/api/v1/auth/logout", headers=bearer(tokens["access_token"])).status
        == 204
    )
    for instance in stack.instances:
        refused = call(instance.port, "GET", "/api/v1/users/me", headers=bearer(tokens["access_token"]))
        assert refused.status == 401
        assert refused.json()["code"] == "token_revoked"


def test_rate_limits_are_shared_across_instances(stack: Stack) -> None:
    email = f"target-{uuid.uuid4().hex[:8]}@example.com"
    attempt = {"email": email, "password": "wrong-password-1"}
    statuses = [
        call(instance.port, "POST", "/api/v1/auth/login", attempt).status
        for instance in (stack.instances[0], stack.instances[1], stack.instances[0])
    ]
    assert statuses == [401, 401, 401]
    for instance in stack.instances:
        limited = call(instance.port, "POST", "/api/v1/auth/login", attempt)
        assert limited.status == 429
        assert int(limited.headers["retry-after"]) >= 1


def test_nginx_request_id_reaches_the_app_log(stack: Stack) -> None:
    reply = call(stack.nginx.port, "GET", "/health")
    request_id = reply.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    time.sleep(0.2)
    lines = [line for instance in stack.instances for line in instance.access_lines()]
    assert any(line.get("request_id") == request_id and line.get("route") == "/health" for line in lines)
    # One access line per request: gunicorn's own stays off unless GUNICORN_ACCESS_LOG asks for it.
    everything = [line for instance in stack.instances for line in instance.log_lines()]
    assert not any(line.get("logger") == "gunicorn.access" for line in everything)


def test_inbound_request_id_is_passed_on(stack: Stack) -> None:
    reply = call(stack.nginx.port, "GET", "/health", headers={"X-Request-ID": "client-chosen.id-1"})
    assert reply.headers["x-request-id"] == "client-chosen.id-1"


def assert_problem(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert body["code"] == code
    assert body["request_id"] == reply.headers["x-request-id"]


def test_metrics_are_served_on_their_own_port_only(stack: Stack) -> None:
    instance = stack.instances[0]
    assert_problem(call(stack.nginx.port, "GET", "/metrics"), 404, "not_found")
    assert_problem(call(instance.port, "GET", "/metrics"), 404, "not_found")
    scraped = call(instance.metrics_port, "GET", "/metrics")
    assert scraped.status == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    assert "keel_http_requests_total" in scraped.body.decode()
    assert listening_addresses(instance.metrics_port) == {"127.0.0.1"}


def test_errors_nginx_answers_itself_are_problem_json(stack: Stack) -> None:
    huge = {"email": "x@example.com", "password": "p" * (3 * 1024 * 1024)}
    assert_problem(call(stack.nginx.port, "POST", "/api/v1/auth/login", huge), 413, "payload_too_large")
    assert_problem(call(stack.nginx.port, "GET", "/nowhere"), 404, "not_found")


def test_invalid_inbound_request_id_is_replaced_everywhere(stack: Stack) -> None:
    reply = call(stack.nginx.port, "GET", "/nowhere", headers={"X-Request-ID": "bad id with spaces!"})
    request_id = reply.headers["x-request-id"]
    assert request_id != "bad id with spaces!"
    assert reply.json()["request_id"] == request_id


def test_client_scheme_headers_are_ignored(stack: Stack) -> None:
    reply = call(
        stack.nginx.port, "GET", "/health", headers={"X-Forwarded-Ssl": "on", "X-Forwarded-Proto": "https"}
    )
    assert reply.status == 200


def test_proxy_passes_the_client_address_and_json_is_gzipped(stack: Stack) -> None:
    reply = call(stack.nginx.port, "GET", "/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert reply.status == 200
    assert reply.headers.get("content-encoding") == "gzip"
    clients = {line.get("client") for instance in stack.instances for line in instance.access_lines()}
    assert clients == {"127.0.0.1"}


def test_one_scrape_counts_requests_of_both_workers(stack: Stack) -> None:
    instance = stack.instances[0]
    route = "/openapi.json"

    def scrape_total() -> float:
        text = call(instance.metrics_port, "GET", "/metrics").body.decode()
        pattern = (
            rf'keel_http_requests_total{{method="GET",route="{re.escape(route)}",status="200"}} ([0-9.e+]+)'
        )
        return sum(float(value) for value in re.findall(pattern, text))

    before = scrape_total()
    threads = [threading.Thread(target=call, args=(instance.port, "GET", route)) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert scrape_total() - before == 40
    pids = {path.stem.rsplit("_", 1)[-1] for path in instance.metrics_dir.glob("counter_*.db")}
    assert len(pids) >= 2, f"requests were served by workers {pids}"


def test_sigterm_under_load_fails_no_request(stack: Stack) -> None:
    _, tokens = register_and_login(stack.nginx.port)
    headers = bearer(tokens["access_token"])
    outcomes: Counter[int] = Counter()
    errors: list[str] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            try:
                reply: Reply = call(stack.nginx.port, "GET", "/api/v1/users/me", headers=headers)
                outcomes[reply.status] += 1
            except OSError as error:
                errors.append(repr(error))

    workers = [threading.Thread(target=load) for _ in range(8)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)
    victim = stack.instances[1]
    started = time.monotonic()
    exit_code = victim.terminate()
    elapsed = time.monotonic() - started
    time.sleep(1.0)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    assert exit_code == 0
    assert elapsed < 20
    assert errors == []
    assert set(outcomes) == {200}, outcomes
    assert outcomes[200] > 50
    victim.start()


def test_nginx_drops_requests_for_unknown_hosts(stack: Stack) -> None:
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        call(stack.nginx.port, "GET", "/health", headers={"Host": "evil.example"})
    assert call(stack.nginx.port, "GET", "/health", headers={"Host": "localhost"}).status == 200
