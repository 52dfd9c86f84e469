"""API key rules: a signed-in user creates, lists and revokes their own (admins revoke anyone's);
a presented key is checked in constant time and acts as its owner, within its scopes."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from uuid6 import uuid7

from app.api_keys.models import ApiKey
from app.api_keys.repository import ApiKeyRepository
from app.domain import api_keys as keys
from app.domain.audit import AuditTrail
from app.domain.clock import utcnow
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.pagination import Cursor, Page, page_of
from app.domain.principal import Principal
from app.domain.reauthentication import ensure_recent
from app.domain.unit_of_work import UnitOfWork

MAX_LIVE_KEYS = 25
# `last_used_at` is written at most this often per key: a key in a busy loop costs no write per request.
TOUCH_INTERVAL = timedelta(minutes=1)
# A hash no key has (not hex): an unknown or malformed key still runs the lookup and the comparison.
_NO_HASH = "-" * 64


class ApiKeyNotFound(NotFound):
    default_detail = "No such API key."


class ApiKeyLimitReached(Conflict):
    code = "api_key_limit_reached"
    default_detail = f"You have {MAX_LIVE_KEYS} live API keys: revoke one before creating another."


class ApiKeysUnitOfWork(UnitOfWork, Protocol):
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def audit(self) -> AuditTrail: ...


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """What a client may set; the schema has checked each value's shape already."""

    name: str
    scopes: Sequence[str]
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    """The stored key, and the key itself: returned once, never stored."""

    api_key: ApiKey
    key: str


class ApiKeyService:
    def __init__(
        self,
        *,
        uow: ApiKeysUnitOfWork,
        hasher: keys.ApiKeyHasher,
        reauth_max_age: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._reauth_max_age = reauth_max_age
        self._clock = clock

    def create(self, actor: Principal, fields: NewApiKey) -> CreatedApiKey:
        """A new key for the actor: a recent sign-in, a future expiry, and fewer than 25 live keys."""
        now = self._clock()
        ensure_recent(actor, now=now, max_age=self._reauth_max_age)
        if fields.expires_at is not None and fields.expires_at <= now:
            raise InvalidInput("expires_at must be in the future.", field="expires_at")
        key = keys.new_key()
        api_key = ApiKey(
            id=uuid7(),
            owner_id=actor.user_id,
            name=fields.name,
            key_hash=self._hasher.digest(key),
            prefix=keys.display_prefix(key),
            scopes=" ".join(sorted(set(fields.scopes))),
            created_at=now,
            expires_at=fields.expires_at,
        )
        with self._uow as uow:
            # The owner's row, locked, orders parallel creates: each counts the rows the last one wrote.
            if not uow.api_keys.lock_owner(actor.user_id):
                raise ApiKeyNotFound()
            if uow.api_keys.count_live(actor.user_id, now=now) >= MAX_LIVE_KEYS:
                raise ApiKeyLimitReached()
            uow.api_keys.add(api_key)
            uow.audit.record("api_key_created", actor_id=actor.user_id, subject_id=actor.user_id, now=now)
            uow.commit()
        return CreatedApiKey(api_key=api_key, key=key)

    def list(self, actor: Principal, *, limit: int, after: Cursor | None) -> Page[ApiKey]:
        """The actor's own keys, expired ones included (until revoked), newest first."""
        with self._uow as uow:
            rows = list(uow.api_keys.list_page(limit=limit + 1, after=after, owner_id=actor.user_id))
        return page_of(rows, limit)

    def revoke(self, actor: Principal, api_key_id: uuid.UUID) -> None:
        """The owner or any admin revokes a key; another user's is a 404 to a non-admin."""
        with self._uow as uow:
            api_key = uow.api_keys.get(api_key_id)
            if api_key is None or not (actor.is_admin or api_key.owner_id == actor.user_id):
                raise ApiKeyNotFound()
            owner_id = api_key.owner_id
            uow.api_keys.delete(api_key)
            uow.audit.record(
                "api_key_revoked", actor_id=actor.user_id, subject_id=owner_id, now=self._clock()
            )
            uow.commit()


class ApiKeyCallers:
    """Who a presented key is: its owner as they are now, within the key's scopes; None for any bad key.

    Every presented value takes the same path: its hash is computed and looked up whether or not it
    is well formed, and the stored hash is compared with `hmac.compare_digest`; nothing returns early.
    """

    def __init__(
        self, *, uow: ApiKeysUnitOfWork, hasher: keys.ApiKeyHasher, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock

    def load(self, presented: str) -> Principal | None:
        now = self._clock()
        shaped = keys.well_formed(presented)
        digest = self._hasher.digest(presented)
        with self._uow as uow:
            found = uow.api_keys.find_live(digest, now=now)
            stored = found[0].key_hash if found is not None else _NO_HASH
            matches = hmac.compare_digest(stored, digest)
            if found is None or not (matches and shaped):
                return None
            api_key, owner = found
            principal = Principal(
                user_id=owner.id,
                role=owner.role,
                session_id=None,
                api_key_id=api_key.id,
                scopes=frozenset(api_key.scope_list),
            )
            # Written only when the last recorded use is a minute old; the update re-checks, so
            # parallel requests at the turn of the minute still write once.
            since = now - TOUCH_INTERVAL
            if (api_key.last_used_at is None or api_key.last_used_at <= since) and uow.api_keys.touch(
                api_key.id, now=now, unless_since=since
            ):
                uow.commit()
        return principal
