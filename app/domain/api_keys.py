"""API keys as presented: their format, their keyed hash, their scopes and the errors they answer.

A key reads `keel_` + 43 base62 characters (32 random bytes) + 6 base62 characters of the CRC32 of
those 43, as GitHub's tokens do: a leak scanner recognises one by `keel_[0-9A-Za-z]{49}` and can
check the checksum offline, without calling Keel. Keel stores only an HMAC-SHA256 of the whole key
under a key derived from JWT_SECRET_KEY for this purpose alone: a key is high-entropy and checked on
every request, so a slow password hash would add nothing but latency.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib

from app.domain.errors import Forbidden, Unauthorized

PREFIX = "keel_"
PATTERN = r"keel_[0-9A-Za-z]{49}"
DISPLAY_LENGTH = len(PREFIX) + 4
SCOPES = ("users:read", "users:write", "audit:read")

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY_LENGTH = 43  # 62**43 > 2**256: 32 random bytes, zero-padded
_CHECKSUM_LENGTH = 6  # 62**6 > 2**32
_SHAPE = re.compile(rf"^{PATTERN}$")
_PURPOSE = b"keel api key v1"


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"
    default_detail = "The API key is unknown, revoked, expired or malformed."


class InsufficientScope(Forbidden):
    code = "insufficient_scope"
    default_detail = "This API key may not do this: it lacks the scope, or the operation needs a sign-in."


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, digit = divmod(number, 62)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits)).rjust(width, "0")


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECKSUM_LENGTH)


def new_key() -> str:
    """A fresh key: 32 random bytes, base62, and the checksum leak scanners verify."""
    body = _base62(int.from_bytes(secrets.token_bytes(32), "big"), _BODY_LENGTH)
    return f"{PREFIX}{body}{_checksum(body)}"


def well_formed(presented: str) -> bool:
    """The shape and checksum hold; computed in full either way (the caller does not return early)."""
    shaped = _SHAPE.match(presented) is not None
    body, checksum = presented[len(PREFIX) : -_CHECKSUM_LENGTH], presented[-_CHECKSUM_LENGTH:]
    return hmac.compare_digest(_checksum(body), checksum) and shaped


def display_prefix(key: str) -> str:
    """The short public part shown in listings: `keel_` and four characters of the body."""
    return key[:DISPLAY_LENGTH]


class ApiKeyHasher:
    """HMAC-SHA256 under a key of its own purpose: what the database holds instead of the key."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()

    def digest(self, presented: str) -> str:
        return hmac.new(self._key, presented.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
