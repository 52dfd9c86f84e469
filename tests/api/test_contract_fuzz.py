"""Property-based contract tests: every operation of /openapi.json, fuzzed in-process by schemathesis.

Each operation runs the three ways a client meets it: without credentials, as a user and as an admin
(real accounts, real logins through the API). Whatever is sent, the answer is never a 5xx; its status,
content type, headers and body are the ones documented for that operation; and every error is the
contract's problem+json.
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass

import hypothesis
import pytest
import schemathesis
from flask import Flask
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import databases
from tests.support.accounts import Account, Tokens

PROBLEM = "application/problem+json"
PROBLEM_MEMBERS = {"status", "code", "title", "request_id"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
REFRESH_PATH = "/api/v1/auth/refresh"


def _served_schema() -> schemathesis.BaseSchema:
    """The spec as the app serves it, read at collection from an app that never opens its database.

    An explicit config, so a stray schemathesis.toml cannot change what runs.
    """
    app = databases.make_app("sqlite://")
    config = schemathesis.Config.from_dict({"generation": {"mode": "all"}})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=config)
    databases.dispose(app)
    return schema


schema = _served_schema()


@dataclass
class Caller:
    """Sends generated requests to the test's own app, anonymously or with a real login.

    Every pytest item is one operation on a fresh database, so no operation's requests (a logout, a
    deletion) spoil another's.
    """

    app: Flask
    own_id: str
    other_id: str
    tokens: Tokens | None

    def send(self, case: schemathesis.Case) -> schemathesis.Response:
        self._aim_at_real_accounts(case)
        refreshing = case.method.upper() == "POST" and case.operation.path == REFRESH_PATH
        headers = self.tokens.headers if self.tokens else {}
        if refreshing and self.tokens:
            headers = self.tokens.refresh_headers
        response = case.call(app=self.app, headers=headers)
        if refreshing and self.tokens and response.status_code == 200:
            # Rotation spends the token: carry on with the new one, so later cases get further.
            self.tokens.refresh_token = response.json()["refresh_token"]
        return response

    def _aim_at_real_accounts(self, case: schemathesis.Case) -> None:
        """Point a well-formed generated user id at the caller or at another account, a third of the time each.

        The choice is a checksum of the case itself, so every phase (coverage cases share one id)
        meets all three targets, and a failing case replays to the same request.
        """
        generated = (case.path_parameters or {}).get("user_id")
        if not isinstance(generated, str) or not _is_uuid(generated):
            return
        fingerprint = f"{generated}|{case.query!r}|{case.headers!r}|{case.body!r}"
        pick = zlib.crc32(fingerprint.encode("utf-8", "surrogatepass")) % 3
        if pick:
            case.path_parameters["user_id"] = self.own_id if pick == 1 else self.other_id


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@pytest.fixture(params=["anonymous", "user", "admin"])
def caller(request: pytest.FixtureRequest, app: Flask, user: Account, admin: Account) -> Caller:
    own, other = (admin, user) if request.param == "admin" else (user, admin)
    tokens = None if request.param == "anonymous" else request.getfixturevalue(f"{request.param}_tokens")
    return Caller(app=app, own_id=str(own.id), other_id=str(other.id), tokens=tokens)


def _assert_documented_status(case: schemathesis.Case, response: schemathesis.Response) -> None:
    """Stricter than status_code_conformance, which lets any status pass once `default` is documented."""
    if case.method.upper() != case.operation.method.upper():
        return  # a probe with a method the operation lacks: its 405 is checked as a problem below
    documented = {str(status) for status in case.operation.responses.status_codes} - {"default"}
    assert str(response.status_code) in documented, (
        f"{case.method} {case.formatted_path} answered {response.status_code}, "
        f"documented: {sorted(documented)}\n{response.text[:500]}"
    )


def _assert_problem_details(case: schemathesis.Case, response: schemathesis.Response) -> None:
    if response.status_code < 400:
        return
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0].strip() == PROBLEM, f"{where}: {content_type}"
    body = response.json()
    assert isinstance(body, dict), f"{where}: {response.text[:500]}"
    assert body.keys() >= PROBLEM_MEMBERS, f"{where}: {body}"
    assert body["status"] == response.status_code, f"{where}: {body}"


# Bounded and reproducible: 25 generated cases per operation on top of schemathesis' deterministic
# examples and coverage cases, the same ones on every run. The fixtures are shared by all of an
# operation's cases on purpose (one app, one database), and a loaded CI runner must not fail a slow draw.
@schema.parametrize()
@hypothesis.settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow],
)
def test_operation_keeps_its_contract(case: schemathesis.Case, caller: Caller) -> None:
    response = caller.send(case)
    _assert_documented_status(case, response)
    _assert_problem_details(case, response)
    case.validate_response(response, checks=CHECKS)
