"""Logging: JSON lines in production, text in development, request context on every line."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from app.observability import tracing
from app.observability.context import request_id_var, user_id_var

_SENSITIVE_KEYS = frozenset(
    {
        "password",
        "current_password",
        "new_password",
        "token",
        "access_token",
        "refresh_token",
        "device_token",
        "keel_device",
        "x-device-token",
        "authorization",
        "cookie",
        "set-cookie",
        "secret",
        "jwt_secret_key",
        "mfa_token",
        "recovery_code",
        "recovery_codes",
        "otpauth_uri",
        "data_encryption_keys",
    }
)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# A device token (app.auth.device_tokens): its shape, wherever it is quoted.
_DEVICE_TOKEN = re.compile(r"\bd1\.[0-9a-f]{32}\.[0-9]+\.[A-Za-z0-9_-]{43}")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',]+")
_REDACTED = "[redacted]"
_RESERVED = frozenset(vars(logging.makeLogRecord({})))


class ContextFilter(logging.Filter):
    """Stamp every record with the request id and user id of the request being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        trace_id = tracing.current_trace_id()
        if trace_id is not None:
            record.trace_id = trace_id
        if getattr(record, "user_id", None) is None:
            record.user_id = user_id_var.get()
        return True


class RedactingFilter(logging.Filter):
    """Last line of defence: secrets must not reach a log even if code passes them by mistake."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key in list(vars(record)):
            if key not in _RESERVED and key.lower() in _SENSITIVE_KEYS:
                setattr(record, key, _REDACTED)
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact(text: str) -> str:
    return _BEARER.sub(rf"\g<1>{_REDACTED}", _DEVICE_TOKEN.sub(_REDACTED, _JWT.sub(_REDACTED, text)))


class _TextFormatter(logging.Formatter):
    """One readable line for development: the message, then the structured fields as key=value."""

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        line = super().format(record)
        extras = {
            k: v
            for k, v in vars(record).items()
            if k not in _RESERVED and k not in ("request_id", "user_id", "message", "asctime")
        }
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return line


class _JsonFormatter(JsonFormatter):
    """JSON lines; a traceback is redacted too, since an exception's message may quote a header."""

    def formatException(self, ei: Any) -> str | list[str]:  # type: ignore[override]
        formatted = super().formatException(ei)
        if isinstance(formatted, list):
            return [redact(line) for line in formatted]
        return redact(formatted)


def build_formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return _JsonFormatter(
            "{asctime}{levelname}{name}{message}{request_id}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    return _TextFormatter("%(asctime)s %(levelname)-5s [%(request_id)s] %(name)s: %(message)s")


class _StandardErrorHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the process's standard error as it is when a line is written, so a redirect (a
    supervisor's, a test's capture) sees exactly what production writes."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """Fixed to sys.stderr; logging.StreamHandler assigns it once on creation."""


def configure_logging(*, level: str, log_format: str) -> None:
    """Replace the root handlers once per process; later calls only adjust level and format."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_keel", False)), None)
    if handler is None:
        handler = _StandardErrorHandler()
        handler._keel = True  # type: ignore[attr-defined]
        handler.addFilter(ContextFilter())
        handler.addFilter(RedactingFilter())
        for existing in list(root.handlers):
            root.removeHandler(existing)
        root.addHandler(handler)
    handler.setFormatter(build_formatter(log_format))
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel(max(logging.getLevelName(level), logging.WARNING))
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
