"""The budgets of password guesses: which one a password check draws on, and how it is spent.

A budget is spent before the (slow) hash check, atomically, so no number of parallel requests gets
more guesses through than it holds; a right password gives its attempt back, so only failures
count. A login from a device the account has signed in on before (it presents the account's device
token) draws on that device's own budget; any other client draws on the account's shared budget,
so a stranger spending the shared one never locks the owner out of a known device (OWASP's
device-cookie scheme). A signed-in caller confirming its password (`current_password`) draws on its
session's own budget, never on the shared one: sessions are only opened with the password, so a
stranger cannot block the owner's account changes, and a stolen access token buys only the small
budget of its session.
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

    def clear(self, account: str) -> None:
        """Forget every attempt spent for `account` (its password was just reset)."""
        ...


class DeviceAttemptBudget(Protocol):
    """One budget per known device of an account."""

    def spend(self, account: str, device: str) -> None:
        """Take one attempt for `device` of `account`, or raise TooManyAttempts."""
        ...

    def refund(self, account: str, device: str) -> None: ...

    def clear(self, account: str) -> None:
        """Forget the attempts of every device of `account`."""
        ...


class SessionAttemptBudget(Protocol):
    """One budget per signed-in session of an account: its `current_password` checks."""

    def spend(self, account: str, session: str) -> None:
        """Take one attempt for `session` of `account`, or raise TooManyAttempts."""
        ...

    def refund(self, account: str, session: str) -> None: ...

    def clear(self, account: str) -> None:
        """Forget the attempts of every session of `account`."""
        ...


class LoginBudgets:
    """The rule of which budget a login's password check draws on, and what a reset clears.

    `device` is the id of a device token that is valid for this very account, or None: an unknown
    client, a forged or expired token, or another account's token all count as no device. Clearing
    forgets the account's every budget: shared, per device and per session.
    """

    def __init__(
        self,
        shared: AttemptBudget,
        devices: DeviceAttemptBudget | None = None,
        sessions: SessionAttemptBudget | None = None,
    ) -> None:
        self._shared = shared
        self._devices = devices
        self._sessions = sessions

    def spend(self, account: str, device: str | None) -> None:
        if device is None or self._devices is None:
            self._shared.spend(account)
        else:
            self._devices.spend(account, device)

    def refund(self, account: str, device: str | None) -> None:
        if device is None or self._devices is None:
            self._shared.refund(account)
        else:
            self._devices.refund(account, device)

    def clear(self, account: str) -> None:
        self._shared.clear(account)
        if self._devices is not None:
            self._devices.clear(account)
        if self._sessions is not None:
            self._sessions.clear(account)
