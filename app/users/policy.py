"""Who may do what to a user account: the whole authorization policy, in one place."""

from __future__ import annotations

import uuid
from collections.abc import Set

from app.domain.api_keys import InsufficientScope
from app.domain.errors import Forbidden
from app.domain.principal import Principal

ADMIN_ONLY_FIELDS = frozenset({"role", "is_active"})
CREDENTIAL_FIELDS = frozenset({"email", "password"})


def ensure_admin(actor: Principal) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins may do this.")


def ensure_self_or_admin(actor: Principal, user_id: uuid.UUID) -> None:
    """Non-admins get 403 for any id but their own, whether it exists or not: no enumeration."""
    if not actor.is_admin and actor.user_id != user_id:
        raise Forbidden("You may only access your own account.")


def ensure_may_change(actor: Principal, fields: Set[str]) -> None:
    """Admin-only fields need an admin; an email or password never changes by API key, only signed in."""
    if actor.by_api_key and fields & CREDENTIAL_FIELDS:
        raise InsufficientScope("An API key cannot change an email or a password: sign in to do that.")
    if not actor.is_admin and fields & ADMIN_ONLY_FIELDS:
        raise Forbidden("Only admins may change role or is_active.")


def needs_current_password(actor: Principal, user_id: uuid.UUID, fields: Set[str]) -> bool:
    """Changing one's own credentials needs the current password; an admin acting on another needs none."""
    return actor.user_id == user_id and bool(fields & CREDENTIAL_FIELDS)


def needs_recent_authentication(actor: Principal, user_id: uuid.UUID) -> bool:
    """Deleting one's own account needs a recent proof of the password; an admin deleting another
    account needs none (the admin's own account is not at stake)."""
    return actor.user_id == user_id


def removes_an_admin(*, role: str, is_active: bool, new_role: str | None, new_is_active: bool | None) -> bool:
    was_active_admin = role == "admin" and is_active
    stays = (new_role in (None, "admin")) and (new_is_active in (None, True))
    return was_active_admin and not stays
