"""The outbox handler that renders a mail and hands it to the sender."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.mail.messages import MailSender
from app.mail.rendering import render
from app.outbox.service import Handler


def mail_handler(sender: MailSender) -> Handler:
    def deliver(_uow: Any, payload: Mapping[str, Any]) -> None:
        sender.send(render(str(payload["template"]), to=str(payload["to"]), context=payload["context"]))

    return deliver
