"""The outbox handler that renders a mail and hands it to the sender, within the recipient's budget.

Every mail Keel sends passes here, whatever made it (verification, reset, notices), so this is
where one budget per recipient mailbox is kept: past it the mail is dropped, not retried, with a
log line that names the template and never the address. The request that queued the mail has
long answered, and answered as usual, so the budget tells a sender nothing. A send that fails
gives its unit back: the budget counts mails delivered, not attempts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from app.domain.emails import normalize_email
from app.domain.errors import TooManyRequests
from app.mail.messages import MailSender
from app.mail.rendering import render
from app.outbox.service import Handler

log = logging.getLogger("keel.mail")


class RecipientBudget(Protocol):
    def spend(self, account: str) -> None:
        """Take one mail for the normalised address, or raise TooManyRequests."""
        ...

    def refund(self, account: str) -> None: ...


def mail_handler(
    sender: MailSender,
    *,
    budget: RecipientBudget,
    on_drop: Callable[[str], None] = lambda _template: None,
) -> Handler:
    def deliver(_uow: Any, payload: Mapping[str, Any]) -> None:
        template, to = str(payload["template"]), str(payload["to"])
        mail = render(template, to=to, context=payload["context"])
        mailbox = normalize_email(to)
        try:
            budget.spend(mailbox)
        except TooManyRequests:
            log.warning(
                "mail dropped: its recipient's hourly mail budget is spent", extra={"mail_template": template}
            )
            on_drop(template)
            return
        try:
            sender.send(mail)
        except BaseException:
            budget.refund(mailbox)
            raise

    return deliver
