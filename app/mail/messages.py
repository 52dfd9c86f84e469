"""A rendered mail and the port that sends it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

# The outbox kind of a mail to send: its payload is `mail_job(...)`.
SEND_MAIL = "mail.send"


def mail_job(template: str, *, to: str, context: Mapping[str, Any]) -> dict[str, Any]:
    return {"template": template, "to": to, "context": dict(context)}


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str


class MailSender(Protocol):
    def send(self, mail: Mail) -> None:
        """Hand the mail to the mail server, or raise: the outbox retries a raised send."""
        ...


class MailDeliveryError(Exception):
    """The mail server did not take the mail (refused, unreachable, timed out)."""
