"""JWTs through flask-jwt-extended: every token names its user, its session and its own id."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token

from app.auth.service import RefreshClaims, TokenPair

REQUIRED_CLAIMS = ("sub", "sid", "jti", "type", "exp", "iat")


class JwtTokenIssuer:
    def issue(self, *, user_id: uuid.UUID, session_id: uuid.UUID, refresh_jti: str) -> TokenPair:
        claims = {"sid": str(session_id)}
        access = create_access_token(identity=str(user_id), additional_claims=claims)
        refresh = create_refresh_token(
            identity=str(user_id), additional_claims={**claims, "jti": refresh_jti}
        )
        ttl = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
        return TokenPair(access_token=access, refresh_token=refresh, expires_in=int(ttl.total_seconds()))


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
