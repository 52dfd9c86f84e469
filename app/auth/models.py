"""A refresh session: one row per login, its token family rotated in place."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from uuid6 import uuid7

from app.persistence.base import Base


class AuthSession(Base):
    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the current refresh token's jti: the database never holds a usable token.
    refresh_token_hash: Mapped[str] = mapped_column(sa.String(64))
    # The token it replaced: presented again within seconds, it is a client's concurrent retry.
    previous_token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    rotated_at: Mapped[datetime]
    # When the current refresh token lapses unless rotated; never later than `ends_at`.
    expires_at: Mapped[datetime]
    # The absolute end, fixed at login: rotation cannot carry a session past it.
    ends_at: Mapped[datetime]
    # The client that last logged in or rotated: a retry within the grace must come from it.
    client_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(256))
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(32))
    # When the session last proved the password (and the second factor, where one is on): the login,
    # or the latest reauthentication. Every access token of the session carries it as `auth_time`.
    authenticated_at: Mapped[datetime]
    # The RFC 8176 methods of that proof, space-separated ("pwd", "pwd otp"): the tokens' `amr`.
    amr: Mapped[str] = mapped_column(sa.String(64))


def stored_methods(methods: tuple[str, ...]) -> str:
    """The `amr` column's form of a list of methods (RFC 8176 names hold no spaces)."""
    return " ".join(methods)


def methods_of(stored: str) -> tuple[str, ...]:
    return tuple(stored.split())


class PasswordResetToken(Base):
    """A one-time reset token, stored only as its SHA-256: the database never holds a usable token."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # SHA-256 of the password hash it was issued against: any later password change, by any
    # route, makes the token stale without anyone having to remember to revoke it.
    password_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class TotpCredential(Base):
    """An account's TOTP secret: pending until a first code confirms it, then the second factor."""

    __tablename__ = "totp_credentials"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # The base32 secret, encrypted with DATA_ENCRYPTION_KEYS: a copy of the database signs nobody in.
    secret_ciphertext: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    # The newest 30-second step whose code was accepted: no step's code works twice, nor an older one.
    last_used_step: Mapped[int | None] = mapped_column(sa.BigInteger)


class RecoveryCode(Base):
    """A single-use recovery code, stored as a keyed hash (HMAC) only."""

    __tablename__ = "recovery_codes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class MfaChallenge(Base):
    """The half-finished login of an account with a second factor: the password was right, a code
    is still owed. Its token is stored as a SHA-256 only, and works once."""

    __tablename__ = "mfa_challenges"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
