"""A rendered mail and the port that sends it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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
