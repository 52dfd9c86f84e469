"""JWTs through flask-jwt-extended: every token names its user, its session and its own id."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask_jwt_extended import create_access_token, create_refresh_token

from app.auth.service import RefreshClaims, TokenPair

REQUIRED_CLAIMS = ("sub", "sid", "jti", "type", "exp", "iat")


class JwtTokenIssuer:
    """Signs token pairs; the lifetimes come from Settings through the composition root, nowhere else."""

    def __init__(self, *, access_ttl: timedelta, refresh_ttl: timedelta) -> None:
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl

    def issue(
        self, *, user_id: uuid.UUID, session_id: uuid.UUID, refresh_jti: str, refresh_ttl: timedelta
    ) -> TokenPair:
        """`refresh_ttl` is the session's: never past its absolute end, so the token says when it ends."""
        claims = {"sid": str(session_id)}
        access = create_access_token(
            identity=str(user_id), additional_claims=claims, expires_delta=self.access_ttl
        )
        refresh = create_refresh_token(
            identity=str(user_id),
            additional_claims={**claims, "jti": refresh_jti},
            expires_delta=refresh_ttl,
        )
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            expires_in=int(self.access_ttl.total_seconds()),
            refresh_expires_in=int(refresh_ttl.total_seconds()),
        )


def claims_are_complete(claims: dict[str, Any]) -> bool:
    """Refuse tokens missing anything the service relies on, even if correctly signed."""
    if any(name not in claims for name in REQUIRED_CLAIMS):
        return False
    if claims["type"] not in ("access", "refresh") or not isinstance(claims["jti"], str):
        return False
    return _is_uuid(claims["sub"]) and _is_uuid(claims["sid"])


def refresh_claims(claims: dict[str, Any]) -> RefreshClaims:
    return RefreshClaims(
        user_id=uuid.UUID(claims["sub"]), session_id=uuid.UUID(claims["sid"]), jti=claims["jti"]
    )


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
