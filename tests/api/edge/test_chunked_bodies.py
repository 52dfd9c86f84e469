"""Chunked request bodies (no Content-Length) obey MAX_CONTENT_LENGTH like any other: over it is a 413,
never a silently truncated body answered 400. Sent over a real socket, as a client would."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest
from flask import Flask

from tests.support.concurrency import HOST, Server, serve

REGISTER = "/api/v1/auth/register"
LIMIT = 1024 * 1024


@pytest.fixture
def server(app: Flask) -> Iterator[Server]:
    with serve(app) as running:
        yield running


def post_chunked(server: Server, body: bytes, chunk: int = 64 * 1024) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(HOST, server.port, timeout=20)
    try:
        connection.putrequest("POST", REGISTER)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        try:
            for start in range(0, len(body), chunk):
                piece = body[start : start + chunk]
                connection.send(f"{len(piece):X}\r\n".encode() + piece + b"\r\n")
            connection.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer 413 and close before the whole body is sent
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def padded_body(size: int) -> bytes:
    prefix = b'{"email": "chunk@example.com", "password": "Quiet-Harbour-Lantern-42", "name": "'
    return prefix + b"x" * (size - len(prefix) - 2) + b'"}'


@pytest.mark.parametrize("size", [LIMIT + 1, LIMIT + 200_000, 3 * LIMIT])
def test_a_chunked_body_over_the_limit_is_413(server: Server, size: int) -> None:
    status, headers, raw = post_chunked(server, padded_body(size))
    assert status == 413
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(raw)["code"] == "payload_too_large"


def test_a_chunked_body_within_the_limit_is_read_whole(server: Server) -> None:
    body = json.dumps(
        {"email": "chunked@example.com", "password": "Quiet-Harbour-Lantern-42", "name": "Chunked"}
    ).encode()
    status, _headers, raw = post_chunked(server, body, chunk=7)
    assert status == 201, raw
    assert json.loads(raw)["email"] == "chunked@example.com"


def test_a_chunked_body_exactly_at_the_limit_is_not_refused_for_size(server: Server) -> None:
    status, _headers, raw = post_chunked(server, padded_body(LIMIT))
    assert status == 422, raw  # read whole: the name is too long, which only a complete body can show
