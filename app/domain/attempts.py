"""The per-account budget of password guesses, shared by every place that checks a password.

It is spent before the (slow) hash check, atomically, so no number of parallel requests gets more
guesses through than the budget holds; a right password gives its attempt back, so only failures
count against the account.
"""

from __future__ import annotations

from typing import Protocol

from app.domain.errors import TooManyRequests


class TooManyAttempts(TooManyRequests):
    default_detail = "Too many failed attempts for this account; try again later."


class AttemptBudget(Protocol):
    def spend(self, account: str) -> None:
        """Take one attempt for `account` (a normalised email), or raise TooManyAttempts."""
        ...

    def refund(self, account: str) -> None:
        """Give back the attempt of a password that turned out right."""
        ...
