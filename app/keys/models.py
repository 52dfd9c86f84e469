"""A signing key: one row per key, its private half encrypted at rest."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.signing_keys import KeyTimes
from app.persistence.base import Base


class SigningKey(Base):
    __tablename__ = "signing_keys"

    # The RFC 7638 thumbprint of the public key: what a token's `kid` header names.
    kid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(sa.String(16))
    # The public JWK as JSON: what the JWKS publishes.
    public_jwk: Mapped[str] = mapped_column(sa.Text)
    # The private key (PKCS#8 PEM) encrypted with DATA_ENCRYPTION_KEYS: a copy of the database signs nothing.
    private_key_ciphertext: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    activates_at: Mapped[datetime]
    retires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    def times(self) -> KeyTimes:
        return KeyTimes(
            kid=self.kid,
            algorithm=self.algorithm,
            created_at=self.created_at,
            activates_at=self.activates_at,
            retires_at=self.retires_at,
            revoked_at=self.revoked_at,
        )
