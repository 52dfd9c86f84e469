"""The signing keys as every request sees them: read from the database at most every few seconds,
so each instance and worker signs and verifies with the same set within that time of a change, and
again at once for a token whose kid this copy lacks (a key another process already signs with).

It never makes a key: with none in the database nothing signs, and readiness says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.domain import signing_keys as rules
from app.domain.encryption import SecretBox
from app.keys import material

log = logging.getLogger("keel.keys")

# At most one read a tenth of a second for kids this process does not know.
REREAD_INTERVAL_SECONDS = 0.1


@dataclass(frozen=True)
class StoredKey:
    times: rules.KeyTimes
    public_jwk: str
    private_key_ciphertext: str


@dataclass(frozen=True)
class Signer:
    kid: str
    algorithm: str
    key: Any


class KeySet:
    def __init__(
        self,
        load: Callable[[], Sequence[StoredKey]],
        *,
        box: SecretBox,
        max_age_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._box = box
        self._max_age = max_age_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._keys: Sequence[StoredKey] | None = None
        self._loaded_at = 0.0
        self._reread_at = -REREAD_INTERVAL_SECONDS
        self._private: dict[str, Any] = {}
        self._public: dict[str, Any] = {}

    def invalidate(self) -> None:
        """Forget what was read: the next use reads the database (this process's own changes)."""
        with self._lock:
            self._keys = None

    def signer(self, now: datetime) -> Signer | None:
        keys = self._current()
        chosen = rules.signer([key.times for key in keys], now)
        if chosen is None:
            return None
        stored = next(key for key in keys if key.times.kid == chosen.kid)
        private = self._private.get(chosen.kid)
        if private is None:
            try:
                private = material.signing_key(self._box.decrypt(stored.private_key_ciphertext))
            except ValueError:
                # DATA_ENCRYPTION_KEYS lost the key that encrypted it: nothing signs (a 503, and
                # /ready fails) until the key is configured again or a new signing key is made.
                log.error("signing key %s cannot be decrypted with DATA_ENCRYPTION_KEYS", chosen.kid)
                return None
            self._private[chosen.kid] = private
        return Signer(kid=chosen.kid, algorithm=chosen.algorithm, key=private)

    def verification_key(self, kid: str, now: datetime) -> tuple[str, Any] | None:
        """The algorithm and public key of a published key with this kid; None for any other kid.

        A kid missing from this process's copy may be a key another process already signs with
        (`keys rotate --now`, or a slow rotation whose key activated as soon as it was committed):
        the set is read again at once rather than refuse a token Keel itself just issued. A kid the
        database does not hold either costs that one read of a few rows."""
        keys, just_read = self._copy()
        key = self._published_key(kid, keys, now)
        if key is None and not just_read:
            again = self._read_again()
            key = None if again is None else self._published_key(kid, again, now)
        if key is None:
            return None
        public = self._public.get(kid)
        if public is None:
            public = material.verification_key(key.public_jwk)
            self._public[kid] = public
        return key.times.algorithm, public

    def legacy_access_deadline(self, grace: timedelta) -> datetime | None:
        """See app.domain.signing_keys.legacy_access_deadline; revoked and retired keys count too."""
        return rules.legacy_access_deadline((key.times for key in self._current()), grace)

    def jwks(self, now: datetime) -> dict[str, Any]:
        """The JWK Set: next, active and retiring public keys, never a private member."""
        return {"keys": [material.public_jwk(key.public_jwk) for key in self._published(now)]}

    def _published_key(self, kid: str, keys: Sequence[StoredKey], now: datetime) -> StoredKey | None:
        return next((key for key in self._published(now, keys) if key.times.kid == kid), None)

    def _published(self, now: datetime, keys: Sequence[StoredKey] | None = None) -> list[StoredKey]:
        keys = self._current() if keys is None else keys
        kids = [times.kid for times in rules.published([key.times for key in keys], now)]
        by_kid = {key.times.kid: key for key in keys}
        return [by_kid[kid] for kid in kids]

    def _current(self) -> Sequence[StoredKey]:
        return self._copy()[0]

    def _copy(self) -> tuple[Sequence[StoredKey], bool]:
        """The set, read again if older than the cache lifetime; and whether it was just read."""
        with self._lock:
            fresh = self._keys is not None and self._monotonic() - self._loaded_at < self._max_age
            if fresh and self._keys is not None:
                return self._keys, False
            return self._read(), True

    def _read_again(self) -> Sequence[StoredKey] | None:
        """The set read again for an unknown kid; None within REREAD_INTERVAL_SECONDS of the last
        such read, so tokens with made-up kids cost the database at most a few reads a second."""
        with self._lock:
            if self._monotonic() - self._reread_at < REREAD_INTERVAL_SECONDS:
                return None
            self._reread_at = self._monotonic()
            return self._read()

    def _read(self) -> Sequence[StoredKey]:
        """Read the set from the database (the caller holds the lock)."""
        self._keys = tuple(self._load())
        self._loaded_at = self._monotonic()
        return self._keys
