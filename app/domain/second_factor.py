"""The second factor as the rest of Keel sees it: a code confirms it, and names the methods it adds."""

from __future__ import annotations

import uuid
from typing import Protocol


class SecondFactor(Protocol):
    def confirm(self, user_id: uuid.UUID, code: str | None) -> tuple[str, ...]:
        """The RFC 8176 methods a code adds: () when the account has no second factor.

        Raises an error of its own when a second factor is on and no code came, or the code is wrong
        or already used; a code that confirms is spent.
        """
        ...


class NoSecondFactor:
    """Accounts without a second factor: nothing to confirm."""

    def confirm(self, user_id: uuid.UUID, code: str | None) -> tuple[str, ...]:
        return ()
