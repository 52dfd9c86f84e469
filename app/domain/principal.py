"""Who is making the request, as loaded from the database for this request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from app.domain.api_keys import InsufficientScope


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    role: str
    # The signed-in session behind an access token; None for an API key, which has none.
    session_id: uuid.UUID | None
    # When the session last proved the password (and the second factor, where one is on), from the
    # access token's `auth_time`; None for a token issued before Keel wrote it: never recent.
    auth_time: datetime | None = None
    # RFC 8176 methods of that proof, from the token's `amr`: ("pwd",) or ("pwd", "otp").
    amr: tuple[str, ...] = ()
    # The API key the request presented (None for an access token), and the scopes it grants.
    api_key_id: uuid.UUID | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def by_api_key(self) -> bool:
        return self.api_key_id is not None

    @property
    def signed_in_session(self) -> uuid.UUID:
        """The caller's session, for steps only a signed-in session may take (an API key has none)."""
        if self.session_id is None:
            raise InsufficientScope()
        return self.session_id
