"""Every model, imported in one place so migrations and metadata see the whole schema."""

from app.api_keys.models import ApiKey
from app.audit.models import AuditEvent
from app.auth.models import AuthSession, MfaChallenge, PasswordResetToken, RecoveryCode, TotpCredential
from app.idempotency.models import IdempotencyKey
from app.keys.models import SigningKey
from app.outbox.models import OutboxMessage
from app.users.models import User

__all__ = [
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "IdempotencyKey",
    "MfaChallenge",
    "OutboxMessage",
    "PasswordResetToken",
    "RecoveryCode",
    "SigningKey",
    "TotpCredential",
    "User",
]
