"""The client behind a request, as far as a session needs to know it."""

from __future__ import annotations

from dataclasses import dataclass

USER_AGENT_MAX_LENGTH = 256


@dataclass(frozen=True, slots=True)
class Client:
    address: str | None
    user_agent: str | None

    @classmethod
    def of(cls, address: str | None, user_agent: str | None) -> Client:
        """Bounded to what a session stores, so a retry compares equal to what was stored."""
        agent = (user_agent or "")[:USER_AGENT_MAX_LENGTH] or None
        return cls(address=(address or "")[:45] or None, user_agent=agent)
