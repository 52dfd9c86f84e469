"""The argon2 work a request does cannot tell whether an account exists.

The app's own hasher runs on an argon2 library hasher that counts the hashes and verifications it
really computed, with the cost parameters of each: Keel's code decides what runs, the count only
watches. A login for an unknown address must do the work a wrong password for a real one does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import argon2
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.domain import passwords
from tests.api.auth.helpers import LOGIN, assert_problem
from tests.support.accounts import create_account, unique_email

Work = tuple[str, argon2.Parameters]

CONFIRM = "/api/v1/auth/password-reset/confirm"
WRONG_PASSWORD = "Wrong-Harbour-Lantern-42"


class CountingArgon2(argon2.PasswordHasher):
    """The argon2 library's hasher, noting each hash and verification it computed."""

    done: ClassVar[list[Work]] = []

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        encoded = super().hash(password, salt=salt)
        self.done.append(("hash", argon2.extract_parameters(encoded)))
        return encoded

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        encoded = hash if isinstance(hash, str) else hash.decode()
        parameters = argon2.extract_parameters(encoded)  # an unreadable hash is refused before any work
        try:
            return super().verify(hash, password)
        finally:
            self.done.append(("verify", parameters))


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> list[Work]:
    done: list[Work] = []
    monkeypatch.setattr(CountingArgon2, "done", done)
    monkeypatch.setattr(passwords, "Argon2Hasher", CountingArgon2)
    return done


@pytest.fixture
def app_overrides(work: list[Work]) -> dict[str, Any]:
    """The app is built after `work` is in place, so its hasher runs on the counting one."""
    return {}


def work_of(work: list[Work], request: Callable[[], None]) -> list[Work]:
    start = len(work)
    request()
    return work[start:]


def test_a_login_for_an_unknown_address_does_the_argon2_work_of_a_wrong_password(
    app: Flask, client: FlaskClient, work: list[Work]
) -> None:
    account = create_account(app)

    def attempt(email: str) -> None:
        response = client.post(LOGIN, json={"email": email, "password": WRONG_PASSWORD})
        assert_problem(response, 401, "invalid_credentials")

    known = work_of(work, lambda: attempt(account.email))
    unknown = work_of(work, lambda: attempt(unique_email("nobody")))

    assert len(known) == 1
    assert known[0][0] == "verify"
    assert unknown == known


def test_a_confirmation_with_an_unknown_token_hashes_the_new_password_all_the_same(
    app: Flask, client: FlaskClient, work: list[Work]
) -> None:
    create_account(app)
    kind, configured = work[-1]
    assert kind == "hash"

    def confirm() -> None:
        response = client.post(
            CONFIRM, json={"token": "not-a-token-we-issued", "new_password": WRONG_PASSWORD}
        )
        assert_problem(response, 400, "invalid_token")

    assert work_of(work, confirm) == [("hash", configured)]
