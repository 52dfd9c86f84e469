"""What every log line of a request carries: its request id and the authenticated user's id."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def set_user_id(user_id: str | None) -> None:
    user_id_var.set(user_id)
