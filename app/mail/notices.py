"""Security notices: a mail to the account's own address whenever something that guards the
account changes, so an owner who did not make the change hears of it at once.

A notice is one more outbox mail, recorded in the transaction that makes the change: it is sent
if and only if the change commits. Each event has a template `notice_<event>` that extends
`_security_notice` with one sentence saying what happened; a new event (a second factor added or
removed) is a name in SECURITY_NOTICES, its subject in rendering.SUBJECTS and its two templates.
A notice never carries a password, a token or a link that acts on the account.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.mail.messages import mail_job

PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event name
PASSWORD_RESET = "password_reset"  # noqa: S105 - an event name
SECOND_FACTOR_ADDED = "second_factor_added"
SECOND_FACTOR_REMOVED = "second_factor_removed"

SECURITY_NOTICES = frozenset({PASSWORD_CHANGED, PASSWORD_RESET, SECOND_FACTOR_ADDED, SECOND_FACTOR_REMOVED})


def addressee(name: str, *, verified: bool) -> str | None:
    """The name to greet the recipient with: none for an address nobody has proved to own, so a
    stranger who signs up with someone else's address cannot put words of theirs in a Keel mail."""
    return name if verified else None


def security_notice(event: str, *, to: str, name: str | None, when: datetime) -> dict[str, Any]:
    """The outbox payload of the notice of `event`, to `to`."""
    if event not in SECURITY_NOTICES:
        raise ValueError(f"no security notice {event!r}")
    return mail_job(
        f"notice_{event}", to=to, context={"name": name, "when": when.strftime("%Y-%m-%d %H:%M UTC")}
    )
