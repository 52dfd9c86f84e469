"""Who is making the request, as loaded from the database for this request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    role: str
    session_id: uuid.UUID
    # When the session last proved the password (and the second factor, where one is on), from the
    # access token's `auth_time`; None for a token issued before Keel wrote it: never recent.
    auth_time: datetime | None = None
    # RFC 8176 methods of that proof, from the token's `amr`: ("pwd",) or ("pwd", "otp").
    amr: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
