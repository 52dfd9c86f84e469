"""Development without a mail server: each mail is written to the log, link included, so a
newcomer can follow a reset or verification link from the terminal. Never used in production."""

from __future__ import annotations

import logging

from app.domain.emails import mask_email
from app.mail.messages import Mail

log = logging.getLogger("keel.mail")


class LogSender:
    def send(self, mail: Mail) -> None:
        log.info("mail to %s: %s\n\n%s", mask_email(mail.to), mail.subject, mail.text)
