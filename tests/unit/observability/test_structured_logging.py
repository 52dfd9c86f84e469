"""Logging as `configure_logging` sets it up for production: JSON lines on standard error, with the
request context, and nothing secret, whatever code passes to it by mistake."""

import logging
from collections.abc import Iterator

import pytest

from app.observability.context import request_id_var
from app.observability.structured_logging import configure_logging, redact
from tests.support.logs import ProductionLog


@pytest.fixture
def log(capsys: pytest.CaptureFixture[str]) -> Iterator[ProductionLog]:
    configure_logging(level="INFO", log_format="json")
    yield ProductionLog(capsys)
    configure_logging(level="INFO", log_format="json")


def test_json_lines_carry_request_id_and_extras(log: ProductionLog) -> None:
    token = request_id_var.set("req-123")
    try:
        logging.getLogger("keel.test").info("served %s", "thing", extra={"status": 200})
    finally:
        request_id_var.reset(token)
    [line] = log.records()
    assert line["request_id"] == "req-123"
    assert line["message"] == "served thing"
    assert line["status"] == 200
    assert line["level"] == "INFO"
    assert line["logger"] == "keel.test"


def test_sensitive_extras_and_tokens_are_redacted(log: ProductionLog) -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    logging.getLogger("keel.test").warning(
        "header Bearer abc.def and %s", jwt, extra={"password": "hunter2hunter2", "Authorization": "x"}
    )
    output = log.text
    assert "hunter2hunter2" not in output
    assert jwt not in output
    assert "abc.def" not in output
    assert "[redacted]" in output


def test_a_traceback_is_redacted_too(log: ProductionLog) -> None:
    try:
        raise ValueError("refused Bearer abc.def.ghi")
    except ValueError:
        logging.getLogger("keel.test").exception("failed")
    [line] = log.records()
    assert "ValueError" in line["exc_info"]
    assert "abc.def.ghi" not in log.text


def test_text_format_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(level="INFO", log_format="text")
    try:
        capsys.readouterr()
        logging.getLogger("keel.test").info("hello", extra={"status": 201, "password": "hunter2hunter2"})
        output = capsys.readouterr().err
    finally:
        configure_logging(level="INFO", log_format="json")
    assert "hello" in output
    assert "status=201" in output
    assert "hunter2hunter2" not in output


def test_redact_leaves_plain_text_alone() -> None:
    assert redact("GET /api/v1/users 200") == "GET /api/v1/users 200"
