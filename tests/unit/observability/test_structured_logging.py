import io
import json
import logging

from app.observability.context import request_id_var
from app.observability.structured_logging import ContextFilter, RedactingFilter, build_formatter, redact


def capture(log_format: str = "json") -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(build_formatter(log_format))
    logger = logging.getLogger(f"test.capture.{log_format}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_json_lines_carry_request_id_and_extras() -> None:
    logger, stream = capture()
    token = request_id_var.set("req-123")
    try:
        logger.info("served %s", "thing", extra={"status": 200})
    finally:
        request_id_var.reset(token)
    line = json.loads(stream.getvalue())
    assert line["request_id"] == "req-123"
    assert line["message"] == "served thing"
    assert line["status"] == 200
    assert line["level"] == "INFO"


def test_sensitive_extras_and_tokens_are_redacted() -> None:
    logger, stream = capture()
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    logger.info(
        "header Bearer abc.def and %s", jwt, extra={"password": "hunter2hunter2", "Authorization": "x"}
    )
    output = stream.getvalue()
    assert "hunter2hunter2" not in output
    assert jwt not in output
    assert "abc.def" not in output
    assert "[redacted]" in output


def test_text_format_is_readable() -> None:
    logger, stream = capture("text")
    logger.info("hello", extra={"status": 201})
    assert "hello" in stream.getvalue()
    assert "status=201" in stream.getvalue()


def test_redact_leaves_plain_text_alone() -> None:
    assert redact("GET /api/v1/users 200") == "GET /api/v1/users 200"
