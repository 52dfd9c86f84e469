"""Device tokens (OWASP's device cookies): proof that a client has signed in to an account before.

A token is stateless: a random device id, its expiry, and an HMAC over (account, device id,
expiry) under a key of its own, derived from JWT_SECRET_KEY with a purpose label. It is bound to
the account's sign-in name (its normalised email), so it can be checked before anything is looked
up, and another account's token, a forged one or an expired one is simply no device. It grants
nothing but a failure budget of its own at login; the password is still checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.clock import utcnow
from app.domain.emails import normalize_email

_VERSION = "d1"
_PURPOSE = b"keel device token v1"
_SHAPE = re.compile(r"^d1\.([0-9a-f]{32})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class DeviceToken:
    value: str
    expires_in: int


class DeviceTokens:
    def __init__(self, secret: str, *, ttl: timedelta, clock: Callable[[], datetime] = utcnow) -> None:
        self._key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
        self._ttl = ttl
        self._clock = clock

    def issue(self, account: str) -> DeviceToken:
        """A new token for a client that has just completed a sign-in to `account`."""
        device = secrets.token_hex(16)
        expires = int(self._clock().timestamp() + self._ttl.total_seconds())
        value = f"{_VERSION}.{device}.{expires}.{self._mac(account, device, expires)}"
        return DeviceToken(value=value, expires_in=int(self._ttl.total_seconds()))

    def recognise(self, account: str, presented: Iterable[str | None]) -> str | None:
        """The device id of the first presented token valid for `account`, or None."""
        now = self._clock().timestamp()
        for token in presented:
            match = _SHAPE.match(token or "")
            if match is None:
                continue
            device, expires = match.group(1), int(match.group(2))
            expected = self._mac(account, device, expires)
            if hmac.compare_digest(expected, match.group(3)) and now < expires:
                return device
        return None

    def _mac(self, account: str, device: str, expires: int) -> str:
        message = "\x00".join((_VERSION, normalize_email(account), device, str(expires))).encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return _b64(digest)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
