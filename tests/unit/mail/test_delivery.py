"""The mail handler's budget per recipient: counted per mailbox, past it dropped, a failed send
given back."""

from __future__ import annotations

import pytest

from app.mail.delivery import mail_handler
from app.mail.messages import Mail, MailDeliveryError, mail_job
from tests.fakes import FakeAttemptBudget


class Outbox:
    def __init__(self, *, fail: bool = False) -> None:
        self.sent: list[Mail] = []
        self.fail = fail

    def send(self, mail: Mail) -> None:
        if self.fail:
            raise MailDeliveryError("421 try later")
        self.sent.append(mail)


def job(to: str) -> dict[str, object]:
    return mail_job("verify_email", to=to, context={"link": "https://app.example.com/verify-email?token=t"})


def test_mail_past_the_budget_is_dropped_for_that_mailbox_only() -> None:
    sender, dropped = Outbox(), []
    deliver = mail_handler(sender, budget=FakeAttemptBudget(limit=2), on_drop=dropped.append)
    for to in ("hank@example.com", "HANK@example.com", "hank@EXAMPLE.com", "ann@example.com"):
        deliver(None, job(to))
    assert [mail.to for mail in sender.sent] == ["hank@example.com", "HANK@example.com", "ann@example.com"]
    assert dropped == ["verify_email"]


def test_a_failed_send_gives_its_unit_back() -> None:
    budget = FakeAttemptBudget(limit=1)
    with pytest.raises(MailDeliveryError):
        mail_handler(Outbox(fail=True), budget=budget)(None, job("hank@example.com"))
    sender = Outbox()
    mail_handler(sender, budget=budget)(None, job("hank@example.com"))
    assert len(sender.sent) == 1
