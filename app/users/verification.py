"""Email verification: a signed, expiring token that names the user and the address it proves.

The token is signed rather than stored: it grants nothing but the proof that its holder reads
mail at that address, and a token for an address the account no longer has proves nothing. The
address is in it only as a keyed digest, never in clear: a link copied from a mail, a proxy log
or a browser history names no one.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from app.domain.clock import utcnow
from app.domain.emails import normalize_email
from app.mail.messages import mail_job
from app.users.errors import InvalidVerificationToken


@dataclass(frozen=True, slots=True)
class VerificationClaim:
    user_id: uuid.UUID
    address_digest: str


class EmailVerificationTokens:
    def __init__(self, secret: str, *, ttl: timedelta, clock: Callable[[], datetime] = utcnow) -> None:
        self._serializer = URLSafeSerializer(secret, salt="keel.verify-email")
        # Its own key: the signing key never hashes addresses directly.
        self._address_key = hmac.new(secret.encode(), b"keel verify-email address", hashlib.sha256).digest()
        self._ttl = ttl
        self._clock = clock

    def issue(self, user_id: uuid.UUID, email: str) -> str:
        issued = int(self._clock().timestamp())
        return str(self._serializer.dumps({"u": str(user_id), "a": self._digest(email), "t": issued}))

    def read(self, token: str) -> VerificationClaim:
        try:
            data: Any = self._serializer.loads(token)
            issued = datetime.fromtimestamp(int(data["t"]), tz=self._clock().tzinfo)
            # "e": a token issued before addresses were digested, still valid until it expires.
            digest = str(data["a"]) if "a" in data else self._digest(str(data["e"]))
            claim = VerificationClaim(user_id=uuid.UUID(str(data["u"])), address_digest=digest)
        except (BadSignature, KeyError, TypeError, ValueError):
            raise InvalidVerificationToken() from None
        if self._clock() - issued > self._ttl:
            raise InvalidVerificationToken()
        return claim

    def proves(self, claim: VerificationClaim, email: str) -> bool:
        """Whether the claim was issued for this address (in any of its spellings)."""
        return hmac.compare_digest(claim.address_digest, self._digest(email))

    def _digest(self, email: str) -> str:
        return hmac.new(self._address_key, normalize_email(email).encode(), hashlib.sha256).hexdigest()[:32]


class EmailVerification:
    """The verification mail for an address, with its link built from the front end's URL."""

    def __init__(self, tokens: EmailVerificationTokens, *, link: Callable[[str], str]) -> None:
        self.tokens = tokens
        self._link = link

    def mail(self, *, user_id: uuid.UUID, email: str) -> dict[str, Any]:
        """No name in it: the address is not proved yet, and the name is whatever the sign-up said."""
        token = self.tokens.issue(user_id, email)
        return mail_job("verify_email", to=email, context={"link": self._link(token)})
