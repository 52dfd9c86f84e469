"""Rotating and revoking signing keys: the operator's commands, run in one transaction each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from app.domain import signing_keys as rules
from app.domain.encryption import SecretBox
from app.domain.unit_of_work import UnitOfWork
from app.keys import material
from app.keys.models import SigningKey
from app.keys.repository import SigningKeyRepository


class KeysUnitOfWork(UnitOfWork, Protocol):
    @property
    def signing_keys(self) -> SigningKeyRepository: ...


@dataclass(frozen=True)
class KeyListing:
    kid: str
    algorithm: str
    state: rules.KeyState
    created_at: datetime
    activates_at: datetime
    retires_at: datetime | None
    revoked_at: datetime | None


class SigningKeyService:
    def __init__(
        self,
        *,
        uow: KeysUnitOfWork,
        box: SecretBox,
        algorithm: str,
        activation_delay: timedelta,
        access_ttl: timedelta,
        on_change: Callable[[], None],
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._box = box
        self._algorithm = algorithm
        self._activation_delay = activation_delay
        self._access_ttl = access_ttl
        self._on_change = on_change
        self._clock = clock

    def rotate(self, *, immediately: bool = False, only_if_none: bool = False) -> KeyListing | None:
        """Add the next key: it is published at once and signs after the activation delay (at once
        for the first key ever, or when `immediately`); the keys it replaces retire once the last
        access token they may sign has expired. `only_if_none`: nothing when some key can sign."""
        now = self._clock()
        new = material.generate(self._algorithm)
        with self._uow as uow:
            keys = [key.times() for key in uow.signing_keys.all()]
            if only_if_none and rules.signer(keys, now) is not None:
                return None
            self._add_next(uow, keys, new, now, immediately=immediately)
        return self._added(new.kid)

    def rotate_if_due(self, every: timedelta) -> KeyListing | None:
        """The scheduled rotation: add the next key, as `rotate` does, when the newest is `every`
        old. The check and the insert hold the rotation lock, so of N workers checking at once one
        rotates and the others find the lock taken or, after its commit, a key too young."""
        now = self._clock()
        new = material.generate(self._algorithm)
        with self._uow as uow:
            if not uow.signing_keys.lock_rotation():
                return None
            keys = [key.times() for key in uow.signing_keys.all()]
            if not rules.rotation_due(keys, now, every):
                return None
            self._add_next(uow, keys, new, now, immediately=False)
        return self._added(new.kid)

    def _add_next(
        self,
        uow: KeysUnitOfWork,
        keys: list[rules.KeyTimes],
        new: material.NewKey,
        now: datetime,
        *,
        immediately: bool,
    ) -> None:
        activates_at = now if immediately else rules.activation_of_new_key(keys, now, self._activation_delay)
        uow.signing_keys.retire(
            rules.replaced_by_new_key(keys), at=rules.retirement_date(activates_at, self._access_ttl)
        )
        uow.signing_keys.add(
            SigningKey(
                kid=new.kid,
                algorithm=self._algorithm,
                public_jwk=new.public_jwk,
                private_key_ciphertext=self._box.encrypt(new.private_pem),
                created_at=now,
                activates_at=activates_at,
            )
        )
        uow.commit()

    def _added(self, kid: str) -> KeyListing:
        self._on_change()
        return next(key for key in self.list() if key.kid == kid)

    def list(self) -> list[KeyListing]:
        now = self._clock()
        with self._uow as uow:
            keys = [key.times() for key in uow.signing_keys.all()]
        return [
            KeyListing(
                kid=key.kid,
                algorithm=key.algorithm,
                state=rules.state_of(key, keys, now),
                created_at=key.created_at,
                activates_at=key.activates_at,
                retires_at=key.retires_at,
                revoked_at=key.revoked_at,
            )
            for key in keys
        ]

    def revoke(self, kid: str) -> None:
        """Withdraw a key at once: no longer published nor trusted; refused if nothing would sign."""
        now = self._clock()
        with self._uow as uow:
            keys = [key.times() for key in uow.signing_keys.all()]
            rules.check_revocable(keys, kid, now)
            uow.signing_keys.revoke(kid, now=now)
            uow.commit()
        self._on_change()
