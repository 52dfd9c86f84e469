"""One-time codes: RFC 6238 TOTP by pyotp (SHA-1, 6 digits, 30-second steps, one step of clock
drift either side), and recovery codes kept as keyed hashes.

A recovery code's hash is an HMAC under a key of its own, derived from JWT_SECRET_KEY with a
purpose label as device tokens derive theirs: a copy of the table alone cannot be searched
offline, and the codes' hashes never count in any other keyed hash's space.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp

DIGITS = 6
STEP_SECONDS = 30
# Steps of clock drift accepted either side of the current one (RFC 6238 section 5.2).
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_PURPOSE = b"keel recovery code v1"
# Six random bytes each: 48 bits, shown as three groups of four hex digits.
_RECOVERY_BYTES = 6
_TOTP_SHAPE = re.compile(r"^[0-9]{6}$")
_RECOVERY_SHAPE = re.compile(r"^[0-9a-f]{12}$")


def new_secret() -> str:
    """A random base32 secret of 160 bits (RFC 4226's recommended length for SHA-1)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The `otpauth://` URI an authenticator app reads from a QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def is_totp_code(code: str) -> bool:
    return _TOTP_SHAPE.match(code.strip()) is not None


def matching_step(secret: str, code: str, *, now: datetime) -> int | None:
    """The step whose code `code` is, within the drift window around `now`, or None.

    Only which step matched is decided here; whether that step may still be used is the
    repository's compare-and-set.
    """
    code = code.strip()
    if not is_totp_code(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = totp.timecode(now)
    found = None
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        # Every offset is compared, in constant time, so timing tells nothing of which one matched.
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            found = current + offset
    return found


class RecoveryCodes:
    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), _RECOVERY_PURPOSE, hashlib.sha256).digest()

    @staticmethod
    def generate(count: int = RECOVERY_CODES) -> list[str]:
        codes: set[str] = set()
        while len(codes) < count:
            raw = secrets.token_hex(_RECOVERY_BYTES)
            codes.add("-".join(raw[i : i + 4] for i in range(0, len(raw), 4)))
        return sorted(codes)

    def hash(self, code: str) -> str | None:
        """The stored form of a code as typed (any case, with or without dashes); None if it cannot be one."""
        canonical = re.sub(r"[\s-]", "", code).lower()
        if _RECOVERY_SHAPE.match(canonical) is None:
            return None
        return hmac.new(self._key, canonical.encode(), hashlib.sha256).hexdigest()
