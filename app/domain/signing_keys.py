"""Which signing keys sign and which are published: pure rules over the key rows' timestamps.

A key is `next` from its creation until `activates_at`, then `active`; the newest active key signs.
A key a newer one replaced stays published (`retiring`) until `retires_at`, when the last access
token it signed has expired; `revoked` keys are neither trusted nor published, at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from app.domain.errors import Conflict, NotFound

KeyState = Literal["next", "active", "retiring", "retired", "revoked"]


@dataclass(frozen=True, kw_only=True)
class KeyTimes:
    """A signing key's identity and life, without its key material."""

    kid: str
    algorithm: str
    created_at: datetime
    activates_at: datetime
    retires_at: datetime | None
    revoked_at: datetime | None


class LastSigningKey(Conflict):
    code = "conflict"
    default_detail = (
        "Revoking this key would leave no key to sign access tokens: `keys rotate --now` first, "
        "or wait until the next key activates."
    )


class UnknownSigningKey(NotFound):
    default_detail = "No signing key has this kid."


def signer(keys: Iterable[KeyTimes], now: datetime) -> KeyTimes | None:
    """The key that signs at `now`: the newest whose activation has passed, never a revoked one.

    A key made to sign at once (the first key ever, or `rotate --now`) had no wait to honour: a
    clock behind its creation (another instance's, a few seconds late) still signs with it rather
    than with nothing.
    """
    trusted = [key for key in keys if _trusted(key, now)]
    candidates = [key for key in trusted if key.activates_at <= now]
    if not candidates:
        at_once = [key for key in trusted if key.activates_at <= key.created_at]
        return min(at_once, key=lambda key: (key.activates_at, key.created_at), default=None)
    return max(candidates, key=lambda key: (key.activates_at, key.created_at), default=None)


def published(keys: Iterable[KeyTimes], now: datetime) -> list[KeyTimes]:
    """The keys others may verify with: next, active and retiring ones, newest first."""
    trusted = [key for key in keys if _trusted(key, now)]
    return sorted(trusted, key=lambda key: (key.activates_at, key.created_at), reverse=True)


def state_of(key: KeyTimes, keys: Sequence[KeyTimes], now: datetime) -> KeyState:
    if key.revoked_at is not None:
        return "revoked"
    if key.retires_at is not None and key.retires_at <= now:
        return "retired"
    if key.activates_at > now:
        return "next"
    current = signer(keys, now)
    return "active" if current is not None and current.kid == key.kid else "retiring"


def activation_of_new_key(keys: Sequence[KeyTimes], now: datetime, delay: timedelta) -> datetime:
    """A new key signs at once when nothing signs yet (the first key ever); else after `delay`,
    so every verifier has fetched the key set that names it before a token carries its kid."""
    return now if signer(keys, now) is None else now + delay


def replaced_by_new_key(keys: Sequence[KeyTimes]) -> list[str]:
    """The kids a new key replaces: every trusted key without a retirement date yet."""
    return [key.kid for key in keys if key.revoked_at is None and key.retires_at is None]


def retirement_date(successor_activates_at: datetime, access_ttl: timedelta) -> datetime:
    """A replaced key may sign until its successor activates; its last token expires one TTL later."""
    return successor_activates_at + access_ttl


def rotation_due(keys: Iterable[KeyTimes], now: datetime, every: timedelta) -> bool:
    """A scheduled rotation is due once the newest trusted key is `every` old. Never with no trusted
    key: the first key is the operator's (`keys rotate --if-none`), never made behind their back."""
    newest = max((key.created_at for key in keys if _trusted(key, now)), default=None)
    return newest is not None and newest + every <= now


def check_revocable(keys: Sequence[KeyTimes], kid: str, now: datetime) -> KeyTimes:
    """The key to revoke; refused if it is unknown, or if no other key could sign after it."""
    key = next((key for key in keys if key.kid == kid), None)
    if key is None:
        raise UnknownSigningKey()
    remaining = [other for other in keys if other.kid != kid]
    if key.revoked_at is None and signer(remaining, now) is None:
        raise LastSigningKey()
    return key


def _trusted(key: KeyTimes, now: datetime) -> bool:
    return key.revoked_at is None and (key.retires_at is None or key.retires_at > now)


def legacy_access_deadline(keys: Iterable[KeyTimes], grace: timedelta) -> datetime | None:
    """The last moment a kid-less (HS256) access token may still expire at; None before any key.

    Such tokens were issued before the first signing key existed, or by an instance still running
    the code before it during a rollout (`grace`: the activation wait plus an access token's life).
    Past the deadline none can be live, so none is accepted, whatever its claims say.
    """
    first = min((key.created_at for key in keys), default=None)
    return None if first is None else first + grace
