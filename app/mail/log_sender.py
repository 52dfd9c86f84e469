"""Development without a mail server: each mail is written to the log, link included, so a
newcomer can follow a reset or verification link from the terminal. Never used in production."""

from __future__ import annotations

import logging

from app.mail.messages import Mail

log = logging.getLogger("keel.mail")


def mask(address: str) -> str:
    """Enough of the address to tell mails apart in a log, not enough to harvest it."""
    local, _, domain = address.partition("@")
    return f"***@{domain}" if local and domain else "***"


class LogSender:
    def send(self, mail: Mail) -> None:
        log.info("mail to %s: %s\n\n%s", mask(mail.to), mail.subject, mail.text)
