"""Recent authentication: a signed-in session proving its password again before a grave step.

An access token says when its session last proved the password (`auth_time`); a step such as
deleting one's own account needs that proof to be at most a few minutes old, so a token left on an
unlocked screen, or stolen, cannot take it without the password. The client proves it again with
POST /auth/reauthenticate and retries with the new access token.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.domain.errors import Forbidden
from app.domain.principal import Principal

# REAUTH_MAX_AGE_SECONDS's default: the time to confirm a prompt, not a working session.
DEFAULT_MAX_AGE = timedelta(seconds=300)


class InvalidCurrentPassword(Forbidden):
    """A signed-in caller's own password, confirmed (`current_password`, reauthentication), was wrong."""

    code = "invalid_current_password"
    default_detail = "The current password is wrong."


class ReauthenticationRequired(Forbidden):
    code = "reauthentication_required"
    default_detail = (
        "This needs a recent sign-in: confirm your password with POST /api/v1/auth/reauthenticate "
        "and retry with the access token it returns."
    )


def is_recent(actor: Principal, *, now: datetime, max_age: timedelta) -> bool:
    """The caller's session proved the password within `max_age`; a token without `auth_time` never did."""
    return actor.auth_time is not None and now - actor.auth_time <= max_age


def ensure_recent(actor: Principal, *, now: datetime, max_age: timedelta) -> None:
    if not is_recent(actor, now=now, max_age=max_age):
        raise ReauthenticationRequired()
