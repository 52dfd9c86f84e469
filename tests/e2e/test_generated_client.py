"""A Python client generated from the served OpenAPI document runs the account flows against Keel.

The document promises callers exact, typed responses. A generator takes it at its word: an endpoint
or schema it cannot read is skipped, and a status or body the document does not describe fails to
parse or raises. Generating a client at test time and using it on a live server checks the promise
the way a consumer of the API meets it.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.e2e.served import ServedKeel
from tests.e2e.stack import call
from tests.support.accounts import DEFAULT_PASSWORD, unique_email

PACKAGE = "keel_client"  # from the document's title, "Keel"


@dataclass(frozen=True)
class GeneratedClient:
    """The generated package, reached by name: it does not exist until the test runs."""

    package: ModuleType
    base_url: str
    opened: ExitStack

    def operation(self, tag: str, name: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{PACKAGE}.models"), name)

    def anonymous(self) -> Any:
        # An undocumented status raises instead of passing through as parsed=None.
        return self.opened.enter_context(
            self.package.Client(base_url=self.base_url, raise_on_unexpected_status=True)
        )

    def bearer(self, token: str) -> Any:
        return self.opened.enter_context(
            self.package.AuthenticatedClient(
                base_url=self.base_url, token=token, raise_on_unexpected_status=True
            )
        )


def generate(document: Path, output: Path) -> str:
    """Run openapi-python-client from this venv; return everything it printed."""
    bin_dir = Path(sys.executable).parent
    # It formats what it writes with ruff and warns when ruff is not on PATH: give it the venv's.
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(output),
            "--meta",
            "none",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed
    return printed


@pytest.fixture(scope="module")
def package(served: ServedKeel, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client generated from the served document, importable while this module's tests run."""
    folder = tmp_path_factory.mktemp("generated")
    reply = call(served.port, "GET", "/openapi.json")
    assert reply.status == 200, reply.body[:500]
    document = folder / "openapi.json"
    document.write_bytes(reply.body)

    printed = generate(document, folder / PACKAGE)

    # A skipped endpoint or schema is a warning: the document would not be exact.
    warnings = [line for line in printed.splitlines() if "warning" in line.lower()]
    assert warnings == [], printed
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture
def generated(package: ModuleType, served: ServedKeel) -> Iterator[GeneratedClient]:
    """The package with the test's clients, all closed when it ends."""
    with ExitStack() as opened:
        yield GeneratedClient(package, served.base_url, opened)


def test_every_documented_operation_was_generated(generated: GeneratedClient, served: ServedKeel) -> None:
    document = call(served.port, "GET", "/openapi.json").json()
    operation_ids = [
        operation["operationId"]
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert generated.package.__file__ is not None
    modules = {
        module.stem
        for module in (Path(generated.package.__file__).parent / "api").glob("*/*.py")
        if module.stem != "__init__"
    }

    # The generator's module names: camelCase operation ids in snake_case.
    expected = {"".join(f"_{c.lower()}" if c.isupper() else c for c in op) for op in operation_ids}
    assert len(operation_ids) > 20, operation_ids
    assert modules == expected


def test_a_weak_password_is_a_validation_problem(generated: GeneratedClient) -> None:
    register = generated.operation("auth", "register")

    response = register.sync_detailed(
        client=generated.anonymous(),
        body=generated.model("Register")(email=unique_email("weak"), password="short", name="Weak"),
    )

    assert response.status_code == 422
    assert isinstance(response.parsed, generated.model("ValidationProblem"))
    assert response.parsed.status == 422
    assert response.parsed.instance == "/api/v1/auth/register"
    assert "password" in response.parsed.errors.json  # typed: a location is an attribute, FieldMessages


def test_account_flow_through_the_generated_client(generated: GeneratedClient) -> None:
    user_model, token_pair, problem = (
        generated.model("User"),
        generated.model("TokenPair"),
        generated.model("Problem"),
    )
    anonymous = generated.anonymous()
    email = unique_email("generated")

    registered = generated.operation("auth", "register").sync_detailed(
        client=anonymous,
        body=generated.model("Register")(email=email, password=DEFAULT_PASSWORD, name="Generated Client"),
    )
    assert registered.status_code == 201, registered.content
    assert isinstance(registered.parsed, user_model)
    assert registered.parsed.email == email
    assert registered.parsed.email_verified is False

    again = generated.operation("auth", "register").sync_detailed(
        client=anonymous,
        body=generated.model("Register")(email=email, password=DEFAULT_PASSWORD, name="Twice"),
    )
    assert again.status_code == 409
    assert isinstance(again.parsed, problem)
    assert again.parsed.code == "email_taken"

    logged_in = generated.operation("auth", "login").sync_detailed(
        client=anonymous, body=generated.model("Login")(email=email, password=DEFAULT_PASSWORD)
    )
    assert logged_in.status_code == 200, logged_in.content
    assert isinstance(logged_in.parsed, token_pair)
    first = logged_in.parsed

    me = generated.operation("users", "get_me").sync_detailed(client=generated.bearer(first.access_token))
    assert me.status_code == 200, me.content
    assert isinstance(me.parsed, user_model)
    assert me.parsed.id == registered.parsed.id

    renamed = generated.operation("users", "update_user").sync_detailed(
        me.parsed.id,
        client=generated.bearer(first.access_token),
        body=generated.model("UserUpdate")(name="Renamed Client"),
    )
    assert renamed.status_code == 200, renamed.content
    assert isinstance(renamed.parsed, user_model)
    assert renamed.parsed.name == "Renamed Client"

    refreshed = generated.operation("auth", "refresh_tokens").sync_detailed(
        client=generated.bearer(first.refresh_token)
    )
    assert refreshed.status_code == 200, refreshed.content
    assert isinstance(refreshed.parsed, token_pair)
    assert refreshed.parsed.refresh_token != first.refresh_token
    current = generated.bearer(refreshed.parsed.access_token)

    sessions = generated.operation("auth", "list_sessions").sync_detailed(client=current)
    assert sessions.status_code == 200, sessions.content
    assert isinstance(sessions.parsed, generated.model("SessionList"))
    assert [session.current for session in sessions.parsed.items] == [True]

    logged_out = generated.operation("auth", "logout").sync_detailed(client=current)
    assert logged_out.status_code == 204, logged_out.content

    after = generated.operation("users", "get_me").sync_detailed(client=current)
    assert after.status_code == 401
    assert isinstance(after.parsed, problem)
    assert after.parsed.status == 401
    assert after.parsed.code == "token_revoked"
    assert after.parsed.instance == "/api/v1/users/me"
