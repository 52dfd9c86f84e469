"""The same-work floor: plain Flask doing what an authenticated read must, and nothing more.

Per request: verify the bearer access token with PyJWT (the key its `kid` names, Keel's algorithm,
`iss` and `aud` required), count the request in Redis (one pipelined INCR + EXPIRE), and one raw
SELECT that loads the caller and proves its session live. `/users/<id>` then checks the caller is an
admin and reads the target row. Keel's `/users/me` and admin `/users/{id}` are measured against it
(bench/run.py); Keel adds headers, logs, metrics and problem+json errors on top of this work.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
import redis
from baseline import COLUMNS, public, query
from flask import Flask, abort, request

CALLER = (
    f"SELECT {', '.join('u.' + c for c in COLUMNS.split(', '))} FROM users u "  # noqa: S608 - constants
    "JOIN auth_sessions s ON s.user_id = u.id "
    "WHERE u.id = %s AND u.is_active AND s.id = %s AND s.revoked_at IS NULL AND s.expires_at > %s"
)
TARGET = f"SELECT {COLUMNS} FROM users WHERE id = %s"  # noqa: S608 - constant columns
WINDOW_SECONDS = 60

app = Flask(__name__)
_keys: dict[str, jwt.PyJWK] = {}
_keys_lock = threading.Lock()
_redis = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))


def keys() -> dict[str, jwt.PyJWK]:
    """The published public keys, read once per worker (after the fork)."""
    with _keys_lock:
        if not _keys:
            for row in query("SELECT public_jwk FROM signing_keys WHERE revoked_at IS NULL", ()):
                key = jwt.PyJWK(json.loads(row["public_jwk"]))
                _keys[str(key.key_id)] = key
        return _keys


def caller() -> dict[str, Any]:
    """The verified token's live caller, after counting the request: or a 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not token:
        abort(401)
    try:
        key = keys()[jwt.get_unverified_header(token)["kid"]]
        claims = jwt.decode(
            token,
            key,
            algorithms=[str(key.algorithm_name)],
            audience=os.environ.get("JWT_AUDIENCE", "keel"),
            issuer=os.environ["JWT_ISSUER"],
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
    except (jwt.InvalidTokenError, KeyError):
        abort(401)
    counter = f"floor:{claims['sub']}"
    pipeline = _redis.pipeline(transaction=False)
    pipeline.incr(counter)
    pipeline.expire(counter, WINDOW_SECONDS)
    pipeline.execute()
    rows = query(CALLER, (uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"]), datetime.now(UTC)))
    if not rows:
        abort(401)
    return rows[0]


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/users/me")
def me() -> dict[str, Any]:
    return public(caller())


@app.get("/users/<uuid:user_id>")
def user(user_id: uuid.UUID) -> dict[str, Any]:
    if caller()["role"] != "admin":
        abort(403)
    rows = query(TARGET, (user_id,))
    if not rows:
        abort(404)
    return public(rows[0])
