import base64
import uuid
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest

from app.domain.pagination import Cursor, InvalidCursor

WHEN = datetime(2026, 11, 21, 10, 0, 0, 123456, tzinfo=UTC)
ID = uuid.UUID("0190f5b2-7c3a-7d2e-8f00-0123456789ab")


def token_of(payload: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def test_cursor_round_trips_through_encode_and_decode() -> None:
    cursor = Cursor(created_at=WHEN, id=ID)
    assert Cursor.decode(cursor.encode()) == cursor


def test_cursor_decode_normalizes_an_offset_to_utc() -> None:
    cursor = Cursor(created_at=WHEN.astimezone(timezone(timedelta(hours=-5))), id=ID)
    decoded = Cursor.decode(cursor.encode())
    assert decoded.created_at == WHEN
    assert decoded.created_at.utcoffset() == timedelta(0)


def test_cursor_encode_is_url_safe_without_padding() -> None:
    token = Cursor(created_at=WHEN, id=ID).encode()
    assert "=" not in token
    assert not set(token) & set("+/")


def test_cursor_decode_reads_a_hand_built_token() -> None:
    cursor = Cursor.decode(token_of([WHEN.isoformat(), str(ID)]))
    assert (cursor.created_at, cursor.id) == (WHEN, ID)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "!!!not-base64!!!",
        "ünïcode",
        "a",
        base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
        base64.urlsafe_b64encode(b"not json").decode(),
    ],
)
def test_cursor_decode_rejects_undecodable_token(token: str) -> None:
    with pytest.raises(InvalidCursor):
        Cursor.decode(token)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        42,
        "ab",
        [],
        [WHEN.isoformat()],
        [WHEN.isoformat(), str(ID), "extra"],
        {"created_at": WHEN.isoformat(), "id": str(ID)},
        [str(ID), WHEN.isoformat()],
        [1732183200, str(ID)],
        [WHEN.isoformat(), 42],
        [WHEN.isoformat(), [str(ID)]],
        [WHEN.isoformat(), None],
    ],
)
def test_cursor_decode_rejects_wrong_json_shape(payload: object) -> None:
    with pytest.raises(InvalidCursor):
        Cursor.decode(token_of(payload))


def test_cursor_decode_rejects_naive_datetime() -> None:
    with pytest.raises(InvalidCursor):
        Cursor.decode(token_of([WHEN.replace(tzinfo=None).isoformat(), str(ID)]))


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "", "0190f5b2-7c3a-7d2e-8f00", "g" * 32])
def test_cursor_decode_rejects_bad_uuid(bad_id: str) -> None:
    with pytest.raises(InvalidCursor):
        Cursor.decode(token_of([WHEN.isoformat(), bad_id]))


@pytest.mark.parametrize("timestamp", ["2026-13-45T99:00:00+00:00", "yesterday", "0001-01-01T00:00:00+01:00"])
def test_cursor_decode_rejects_bad_timestamp(timestamp: str) -> None:
    with pytest.raises(InvalidCursor):
        Cursor.decode(token_of([timestamp, str(ID)]))


def test_invalid_cursor_is_a_value_error() -> None:
    assert issubclass(InvalidCursor, ValueError)
