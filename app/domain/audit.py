"""The audit port: who did what to whom, recorded with the change it describes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

EVENTS = (
    "login_succeeded",
    "login_failed",
    "password_check_refused",
    "current_password_wrong",
    "reauthenticated",
    "refresh_grace_used",
    "token_reuse_detected",
    "logout",
    "logout_all",
    "session_ended",
    "sessions_ended_by_admin",
    "password_changed",
    "password_reset_requested",
    "password_reset",
    "email_changed",
    "email_verified",
    "role_changed",
    "active_changed",
    "user_created",
    "user_deleted",
    "mfa_enrolment_started",
    "mfa_enabled",
    "mfa_disabled",
    "mfa_removed_by_admin",
    "mfa_recovery_code_used",
    "mfa_recovery_codes_regenerated",
    "mfa_code_failed",
    "api_key_created",
    "api_key_revoked",
)


class AuditTrail(Protocol):
    def record(
        self, event: str, *, actor_id: uuid.UUID | None, subject_id: uuid.UUID | None, now: datetime
    ) -> None:
        """Record `event` in the current transaction: it stands or falls with the change it describes."""
        ...
