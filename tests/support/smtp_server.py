"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives; it can be stopped and
started again on the same port, as a mail server that goes down and comes back."""

from __future__ import annotations

import logging
import re
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.redis_server import free_port

_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_.\-]+)")


class _Inbox:
    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self._server.receive(message, envelope.rcpt_tos)
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None, *, delay_seconds: float = 0.0) -> None:
        self.port = port or free_port()
        self.delay_seconds = delay_seconds
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._controller: Controller | None = None
        self._lock = threading.Condition()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        # The test server's own protocol log is not Keel's log: keep it out of the captured lines.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller = Controller(_Inbox(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def receive(self, message: EmailMessage, recipients: list[str]) -> None:
        with self._lock:
            self.messages.append(message)
            self.recipients.append(list(recipients))
            self._lock.notify_all()

    def wait_for(
        self, count: int, timeout: float = 15.0, *, subject: str | None = None
    ) -> list[EmailMessage]:
        """The first `count` messages (with this subject, if given), waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(matching := self.with_subject(subject)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} mail(s), got {len(matching)} in {timeout}s")
                self._lock.wait(remaining)
            return matching[:count]

    def with_subject(self, subject: str | None) -> list[EmailMessage]:
        return [m for m in self.messages if subject is None or m["Subject"] == subject]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def token_in(message: EmailMessage) -> str:
    found = _TOKEN.search(text_of(message))
    assert found is not None, "no token link in the mail"
    return found.group(1)
