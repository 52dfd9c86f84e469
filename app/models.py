"""Every model, imported in one place so migrations and metadata see the whole schema."""

from app.audit.models import AuditEvent
from app.auth.models import AuthSession, PasswordResetToken
from app.idempotency.models import IdempotencyKey
from app.outbox.models import OutboxMessage
from app.users.models import User

__all__ = [
    "AuditEvent",
    "AuthSession",
    "IdempotencyKey",
    "OutboxMessage",
    "PasswordResetToken",
    "User",
]
