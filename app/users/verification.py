"""Email verification: a signed, expiring token that names the user and the address it proves.

The token is signed rather than stored: it grants nothing but the proof that its holder reads
mail at that address, and a token for an address the account no longer has proves nothing.
"""

from __future__ import annotations

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
    email: str


class EmailVerificationTokens:
    def __init__(self, secret: str, *, ttl: timedelta, clock: Callable[[], datetime] = utcnow) -> None:
        self._serializer = URLSafeSerializer(secret, salt="keel.verify-email")
        self._ttl = ttl
        self._clock = clock

    def issue(self, user_id: uuid.UUID, email: str) -> str:
        issued = int(self._clock().timestamp())
        return str(self._serializer.dumps({"u": str(user_id), "e": normalize_email(email), "t": issued}))

    def read(self, token: str) -> VerificationClaim:
        try:
            data: Any = self._serializer.loads(token)
            issued = datetime.fromtimestamp(int(data["t"]), tz=self._clock().tzinfo)
            claim = VerificationClaim(user_id=uuid.UUID(str(data["u"])), email=str(data["e"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            raise InvalidVerificationToken() from None
        if self._clock() - issued > self._ttl:
            raise InvalidVerificationToken()
        return claim


class EmailVerification:
    """The verification mail for an address, with its link built from the front end's URL."""

    def __init__(self, tokens: EmailVerificationTokens, *, link: Callable[[str], str]) -> None:
        self.tokens = tokens
        self._link = link

    def mail(self, *, user_id: uuid.UUID, name: str, email: str) -> dict[str, Any]:
        token = self.tokens.issue(user_id, email)
        return mail_job("verify_email", to=email, context={"name": name, "link": self._link(token)})
