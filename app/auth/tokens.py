"""JWTs through flask-jwt-extended: every token names its user, its session and its own id."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt as pyjwt
from flask_jwt_extended import create_refresh_token

from app.auth.service import AccessToken, RefreshClaims, TokenPair
from app.domain.errors import ServiceUnavailable
from app.keys.keyset import KeySet

REQUIRED_CLAIMS = ("sub", "sid", "jti", "type", "exp", "iat")
# Claims of access tokens since recent authentication: tokens issued before lack them (never
# recent) and keep working until they expire; a value of the wrong type is refused.
AUTHENTICATION_CLAIMS = ("auth_time", "amr")


class NoSigningKey(ServiceUnavailable):
    default_detail = "Access tokens cannot be issued right now; try again shortly."


class JwtTokenIssuer:
    """Signs token pairs: access tokens with the key set's signing key (EdDSA or ES256, so other
    services verify them with the published JWKS alone), refresh tokens with HS256 (they never
    leave Keel). Lifetimes, issuer and audience come from Settings through the composition root."""

    def __init__(
        self,
        *,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
        keys: KeySet,
        issuer: str,
        audience: str,
        key_clock: Callable[[], datetime],
    ) -> None:
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        # Which key signs follows the application's clock (rotations are planned on it); a token's
        # own times are the real time, as every verifier reads them.
        self._key_clock = key_clock

    def issue(
        self,
        *,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        refresh_jti: str,
        refresh_ttl: timedelta,
        auth_time: datetime,
        amr: tuple[str, ...],
    ) -> TokenPair:
        """`refresh_ttl` is the session's: never past its absolute end, so the token says when it ends."""
        access = self.issue_access(user_id=user_id, session_id=session_id, auth_time=auth_time, amr=amr)
        refresh = create_refresh_token(
            identity=str(user_id),
            additional_claims={"sid": str(session_id), "jti": refresh_jti},
            expires_delta=refresh_ttl,
        )
        return TokenPair(
            access_token=access.access_token,
            refresh_token=refresh,
            expires_in=access.expires_in,
            refresh_expires_in=int(refresh_ttl.total_seconds()),
        )

    def issue_access(
        self, *, user_id: uuid.UUID, session_id: uuid.UUID, auth_time: datetime, amr: tuple[str, ...]
    ) -> AccessToken:
        """An access token naming the session and its last proof of the password (OIDC's claims).

        With no key able to sign (none made yet, or all revoked) it is a 503: a key is never made
        on a request."""
        signer = self._keys.signer(self._key_clock())
        if signer is None:
            raise NoSigningKey()
        issued_at = int(datetime.now(UTC).timestamp())
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": str(user_id),
            "sid": str(session_id),
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + int(self.access_ttl.total_seconds()),
            "jti": str(uuid.uuid4()),
            "type": "access",
            "fresh": False,
            "auth_time": int(auth_time.timestamp()),
            "amr": list(amr),
        }
        access = pyjwt.encode(claims, signer.key, algorithm=signer.algorithm, headers={"kid": signer.kid})
        return AccessToken(access_token=access, expires_in=int(self.access_ttl.total_seconds()))


def claims_are_complete(claims: dict[str, Any]) -> bool:
    """Refuse tokens missing anything the service relies on, even if correctly signed."""
    if any(name not in claims for name in REQUIRED_CLAIMS):
        return False
    if claims["type"] not in ("access", "refresh") or not isinstance(claims["jti"], str):
        return False
    if "auth_time" in claims and not _is_numeric_date(claims["auth_time"]):
        return False
    if "amr" in claims and not _is_method_list(claims["amr"]):
        return False
    return _is_uuid(claims["sub"]) and _is_uuid(claims["sid"])


def auth_time_of(claims: dict[str, Any]) -> datetime | None:
    """The token's `auth_time` (checked by claims_are_complete), None for a token without one."""
    value = claims.get("auth_time")
    return None if value is None else datetime.fromtimestamp(value, UTC)


def amr_of(claims: dict[str, Any]) -> tuple[str, ...]:
    return tuple(claims.get("amr", ()))


def refresh_claims(claims: dict[str, Any]) -> RefreshClaims:
    return RefreshClaims(
        user_id=uuid.UUID(claims["sub"]), session_id=uuid.UUID(claims["sid"]), jti=claims["jti"]
    )


def _is_numeric_date(value: Any) -> bool:
    """Whole seconds since the epoch, as Keel writes them: no bool, no float, nothing negative."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**40


def _is_method_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(method, str) and method for method in value)


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
