"""Shared steps of the API key tests: create a key over HTTP, present it, read what is stored."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from app.domain.api_keys import PATTERN, SCOPES
from tests.support.accounts import Tokens

API_KEYS = "/api/v1/api-keys"
ME = "/api/v1/users/me"
USERS = "/api/v1/users"
AUDIT = "/api/v1/audit-events"
KEY_SHAPE = re.compile(rf"^{PATTERN}$")


def key_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def create_key(
    client: FlaskClient, tokens: Tokens, *scopes: str, name: str = "script", **extra: Any
) -> dict[str, Any]:
    body = {"name": name, "scopes": list(scopes or SCOPES), **extra}
    response = client.post(API_KEYS, json=body, headers=tokens.headers)
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()
    return created
