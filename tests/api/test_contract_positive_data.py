"""Positive-data acceptance: every request the document calls valid, the service takes.

schemathesis generates schema-valid requests only, for every operation, sent by the caller the
operation is for (anonymous, a user, or an admin acting on another account), each case with fresh
accounts and a fresh login, so no case's logout or deletion spoils the next. Its
`positive_data_acceptance` check then refuses any 400 or 422, and `not_a_server_error` any 5xx.

Some refusals depend on what JSON Schema cannot know: state (a token Keel must have issued, a
resource that must exist, a current ETag, a password that must be the account's) or a rule its
description names in words (common passwords, Unicode text rules, `since` before `until`). Each is
listed per operation below with its reason. A 4xx is accepted only as one of its operation's
listed refusals, matched by status and problem `code`; a 422 `validation_error` only when every
field it names breaks a rule the description states and JSON Schema cannot, which the test checks
on the value sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import hypothesis
import pytest
import schemathesis
from flask import Flask
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.domain.names import clean_name
from app.domain.pagination import Cursor, InvalidCursor
from app.domain.passwords import is_common
from app.domain.text import InvalidText, single_line
from tests.support import databases
from tests.support.accounts import create_account, login

VALIDATION = "validation_error"
KEY_REUSED = (422, "idempotency_key_reused")  # the same Idempotency-Key drawn again with another body


def _breaks(rule: Callable[[str], object]) -> Callable[[Any, Mapping[str, Any]], bool]:
    """Whether `rule` refuses the value (it raises InvalidText): a text rule JSON Schema cannot say."""

    def broken(value: Any, _sent: Mapping[str, Any]) -> bool:
        try:
            rule(value)
        except InvalidText:
            return True
        return False

    return broken


def _common(value: Any, _sent: Mapping[str, Any]) -> bool:
    return isinstance(value, str) and is_common(value)


def _not_issued_cursor(value: Any, _sent: Mapping[str, Any]) -> bool:
    """Shaped like a cursor (unpadded URL-safe Base64), yet not one Keel issued."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", value) or len(value) % 4 == 1:
        return False
    try:
        Cursor.decode(value)
    except InvalidCursor:
        return True
    return False


def _not_in_future(value: Any, _sent: Mapping[str, Any]) -> bool:
    return value is not None and datetime.fromisoformat(value).astimezone(UTC) <= datetime.now(UTC)


def _not_before_until(value: Any, sent: Mapping[str, Any]) -> bool:
    until = sent.get("until")
    return until is not None and datetime.fromisoformat(value) >= datetime.fromisoformat(until)


def _current_password_alone(_value: Any, sent: Mapping[str, Any]) -> bool:
    return set(sent) == {"current_password"}


Rule = Callable[[Any, Mapping[str, Any]], bool]
Shape = Callable[[schemathesis.Case], bool]


def _body_matches(name: str, pattern: str) -> Shape:
    """The sent value has the shape of what Keel issues, so only state can refuse it."""

    def shaped(case: schemathesis.Case) -> bool:
        value = case.body.get(name) if isinstance(case.body, dict) else None
        return isinstance(value, str) and re.fullmatch(pattern, value) is not None

    return shaped


def _names_an_entity_tag(case: schemathesis.Case) -> bool:
    """A blank If-Match names no tag: its 412 would be a shape refusal, which the document states."""
    value = (case.headers or {}).get("If-Match", "")
    return any(part.strip() for part in value.split(","))


# What Keel issues: `secrets.token_urlsafe(32)`; itsdangerous' payload.signature (HMAC-SHA1).
_URLSAFE_32 = r"[A-Za-z0-9_-]{43}"
_SIGNED = r"\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{27}"
SINGLE_LINE: Rule = _breaks(single_line)
NAME: Rule = _breaks(clean_name)


@dataclass(frozen=True)
class Expected:
    """What an operation may answer a schema-valid request besides 2xx and 3xx, and why."""

    caller: str  # "anonymous", "user" (on their own account) or "admin" (on another account)
    # (status, problem code) -> None, or the shape the request must have for the refusal to be state's.
    refusals: Mapping[tuple[int, str], Shape | None] = field(default_factory=dict)
    # 422 `validation_error`: field -> the described rule the sent value must break for it to count.
    unsayable: Mapping[str, Rule] = field(default_factory=dict)

    @property
    def statuses(self) -> list[str]:
        codes = {status for status, _code in self.refusals}
        if self.unsayable:
            codes.add(422)
        return ["2xx", "3xx", *sorted(str(code) for code in codes)]


def _expect(caller: str, *refusals: tuple[int, str] | tuple[int, str, Shape], **unsayable: Rule) -> Expected:
    listed = {(refusal[0], refusal[1]): refusal[2] if len(refusal) == 3 else None for refusal in refusals}
    return Expected(caller, listed, unsayable)


_CURSOR = {"cursor": _not_issued_cursor}  # only a `next_cursor` Keel issued decodes
_NEW_PASSWORD = {"password": _common}  # "not on the list of common passwords"

EXPECTED: dict[str, Expected] = {
    "getJwks": _expect("anonymous"),
    "getAuthorizationServerMetadata": _expect("anonymous"),
    "getHealth": _expect("anonymous"),
    "getReadiness": _expect("anonymous"),
    "getMetrics": _expect("anonymous", (404, "not_found")),  # served only where metrics are on
    "register": _expect(
        "anonymous",
        (409, "email_taken"),  # an address drawn twice: the first case took it
        KEY_REUSED,
        name=NAME,
        **_NEW_PASSWORD,
    ),
    "login": _expect("anonymous", (401, "invalid_credentials")),  # no account has the drawn address
    # Keel issued no such token.
    "verifySecondFactor": _expect(
        "anonymous", (401, "mfa_token_invalid", _body_matches("mfa_token", _URLSAFE_32))
    ),
    "requestPasswordReset": _expect("anonymous", KEY_REUSED),
    # Keel mailed no such token.
    "confirmPasswordReset": _expect(
        "anonymous", (400, "invalid_token", _body_matches("token", _URLSAFE_32)), new_password=_common
    ),
    "verifyEmail": _expect("anonymous", (400, "invalid_token", _body_matches("token", _SIGNED))),
    "refreshTokens": _expect("user"),
    "logout": _expect("user"),
    "logoutAll": _expect("user"),
    "listSessions": _expect("user"),
    "endSession": _expect("user", (404, "not_found")),  # no session of the caller has the drawn id
    "resendVerificationEmail": _expect("user"),
    "reauthenticate": _expect("user", (403, "invalid_current_password")),  # not the account's password
    "getMfaStatus": _expect("user"),
    "startTotpEnrolment": _expect("user", (403, "invalid_current_password")),
    "confirmTotpEnrolment": _expect("user", (409, "mfa_not_pending")),  # no enrolment is waiting for a code
    # The drawn password is not the account's: refused before the code is looked at.
    "disableTotp": _expect("user", (403, "invalid_current_password")),
    "regenerateRecoveryCodes": _expect("user", (403, "invalid_current_password")),
    "listApiKeys": _expect("user", **_CURSOR),
    "createApiKey": _expect("user", name=SINGLE_LINE, expires_at=_not_in_future),
    "revokeApiKey": _expect("user", (404, "not_found")),  # no key of the caller has the drawn id
    "getMe": _expect("user"),
    "getUser": _expect("user"),
    "listUsers": _expect("admin", **_CURSOR),
    "createUser": _expect("admin", (409, "email_taken"), KEY_REUSED, name=NAME, **_NEW_PASSWORD),
    "updateUser": _expect(
        "admin",
        (412, "precondition_failed", _names_an_entity_tag),  # a drawn tag is not the account's current one
        (409, "email_taken"),  # an address drawn twice: an earlier case's account has it
        name=NAME,
        _schema=_current_password_alone,
        **_NEW_PASSWORD,
    ),
    "deleteUser": _expect("admin", (412, "precondition_failed", _names_an_entity_tag)),
    "endUserSessions": _expect("admin"),
    "removeUserMfa": _expect("admin"),
    "listAuditEvents": _expect("admin", since=_not_before_until, **_CURSOR),
    # make resource: generated operations above this line
}


def _served_schema() -> schemathesis.BaseSchema:
    """The served document, positive data only, each operation's check told its own statuses."""
    app = databases.make_app("sqlite://")
    operations = [
        {
            "include-operation-id": operation_id,
            "checks": {"positive_data_acceptance": {"expected-statuses": expected.statuses}},
        }
        for operation_id, expected in EXPECTED.items()
    ]
    config = schemathesis.Config.from_dict({"generation": {"mode": "positive"}, "operations": operations})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=config)
    databases.dispose(app)
    return schema


schema = _served_schema()


def test_every_operation_says_what_it_may_refuse() -> None:
    served = {operation.ok().definition.raw["operationId"] for operation in schema.get_all_operations()}
    assert served == set(EXPECTED)


@dataclass
class Caller:
    """Sends each case as its operation's caller, with accounts of its own."""

    app: Flask

    def send(self, case: schemathesis.Case, expected: Expected) -> schemathesis.Response:
        headers: dict[str, str] = {}
        if expected.caller != "anonymous":
            me = create_account(self.app, role=expected.caller)
            tokens = login(self.app.test_client(), me)
            headers = tokens.refresh_headers if case.operation.path.endswith("/refresh") else tokens.headers
            target = me if expected.caller == "user" else create_account(self.app, role="user")
            if "user_id" in (case.path_parameters or {}):
                case.path_parameters["user_id"] = str(target.id)
        return case.call(app=self.app, headers=headers)


@pytest.fixture
def caller(app: Flask) -> Caller:
    return Caller(app)


def _sent(case: schemathesis.Case, location: str) -> Mapping[str, Any]:
    source = case.body if location == "json" else case.query if location == "query" else None
    return source if isinstance(source, dict) else {}


def _assert_only_listed_refusals(
    case: schemathesis.Case, response: schemathesis.Response, expected: Expected
) -> None:
    if response.status_code < 400 or case.method.upper() != case.operation.method.upper():
        return  # accepted, or a probe with a method the operation lacks (not positive data)
    where = f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:600]}"
    problem = response.json()
    refusal = (response.status_code, problem["code"])
    if refusal in expected.refusals:
        shaped = expected.refusals[refusal]
        assert shaped is None or shaped(case), f"{where}\nthe request's shape, not state, was refused"
        return
    assert response.status_code == 422, where
    assert problem["code"] == VALIDATION, where
    for location, fields in problem["errors"].items():
        sent = _sent(case, location)
        for name in fields:
            rule = expected.unsayable.get(name)
            value = sent.get(name)
            assert rule is not None, f"{where}\n{name}: no described rule"
            assert rule(value, sent), f"{where}\n{name}={value!r} breaks no described rule"


# Modest and reproducible: 10 generated cases per operation besides schemathesis' examples and
# coverage cases, the same on every run; every case makes its own accounts and login.
@schema.parametrize()
@hypothesis.settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow],
)
def test_schema_valid_requests_are_accepted(case: schemathesis.Case, caller: Caller) -> None:
    expected = EXPECTED[case.operation.definition.raw["operationId"]]
    response = caller.send(case, expected)
    _assert_only_listed_refusals(case, response, expected)
    case.validate_response(response, checks=[not_a_server_error, positive_data_acceptance])
