"""The floor Keel is measured against: Flask with nothing but the work each endpoint must do.

`/health` answers a constant; `/users/<id>` is one raw psycopg2 SELECT by primary key; `/users` is
one raw keyset page of 20 on the same index Keel uses; `/verify` is a bare argon2id verify with the
parameters Keel's login uses. It runs under the same gunicorn settings as Keel (bench/run.py).
"""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any

import psycopg2
import psycopg2.extras
import psycopg2.pool
from argon2 import PasswordHasher, Type
from flask import Flask, abort, request

COLUMNS = "id, email, name, role, is_active, created_at, updated_at"
PASSWORD = "Quiet-Harbour-Lantern-42"

app = Flask(__name__)
_pool: psycopg2.pool.ThreadedConnectionPool | None = None
_pool_lock = threading.Lock()
_hasher = PasswordHasher(
    time_cost=int(os.environ.get("PASSWORD_TIME_COST", "2")),
    memory_cost=int(os.environ.get("PASSWORD_MEMORY_KIB", "19456")),
    parallelism=int(os.environ.get("PASSWORD_PARALLELISM", "1")),
    type=Type.ID,
)
_hash = _hasher.hash(PASSWORD)
psycopg2.extras.register_uuid()


def pool() -> psycopg2.pool.ThreadedConnectionPool:
    """One pool per worker, opened after the fork."""
    global _pool
    with _pool_lock:
        if _pool is None:
            threads = int(os.environ.get("GUNICORN_THREADS", "4"))
            _pool = psycopg2.pool.ThreadedConnectionPool(1, threads + 1, os.environ["BASELINE_DSN"])
        return _pool


def query(sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    connections = pool()
    connection = connections.getconn()
    try:
        with connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            cursor.execute(sql, params)
            rows = [dict(row) for row in cursor.fetchall()]
        connection.rollback()
        return rows
    finally:
        connections.putconn(connection)


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "id": str(row["id"]),
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/users/<uuid:user_id>")
def user(user_id: uuid.UUID) -> dict[str, Any]:
    rows = query(f"SELECT {COLUMNS} FROM users WHERE id = %s", (user_id,))  # noqa: S608 - constant columns
    if not rows:
        abort(404)
    return public(rows[0])


@app.get("/users")
def users() -> dict[str, Any]:
    rows = query(
        f"SELECT {COLUMNS} FROM users ORDER BY created_at DESC, id DESC LIMIT %s",  # noqa: S608
        (int(request.args.get("limit", 20)),),
    )
    return {"items": [public(row) for row in rows], "next_cursor": None}


@app.post("/verify")
def verify() -> dict[str, bool]:
    body = request.get_json(force=True)
    return {"ok": _hasher.verify(_hash, body["password"])}
