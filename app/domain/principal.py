"""Who is making the request, as loaded from the database for this request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    role: str
    session_id: uuid.UUID

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
