"""flask-jwt-extended with one verified decode per token instead of three.

The stock manager decodes every token twice unverified (claims, then header) to choose a key, and
then a third time to verify it. Keel signs with one key, so the key never depends on the token: one
verified decode gives the claims, and the checks that the key loader used to make on the unverified
claims (every required claim present before flask-jwt-extended fills defaults) run on its result.
"""

from __future__ import annotations

from hmac import compare_digest
from typing import Any

import jwt as pyjwt
from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config
from flask_jwt_extended.exceptions import CSRFError, JWTDecodeError
from jwt.types import Options

from app.auth.tokens import REQUIRED_CLAIMS


class SingleDecodeJWTManager(JWTManager):
    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value: str | None = None, allow_expired: bool = False
    ) -> dict[str, Any]:
        options: Options = {
            "verify_aud": config.decode_audience is not None,
            "verify_sub": config.verify_sub,
        }
        if allow_expired:
            options["verify_exp"] = False
        try:
            claims: dict[str, Any] = pyjwt.decode(
                encoded_token,
                config.decode_key,
                algorithms=config.decode_algorithms,
                audience=config.decode_audience,
                issuer=config.decode_issuer,
                leeway=config.leeway,
                options=options,
            )
        except pyjwt.ExpiredSignatureError as expired:
            # The expired-token callback receives the header and the (verified) claims, as stock.
            expired.jwt_header = pyjwt.get_unverified_header(encoded_token)  # type: ignore[attr-defined]
            expired.jwt_data = self._decode_jwt_from_config(  # type: ignore[attr-defined]
                encoded_token, csrf_value, allow_expired=True
            )
            raise
        missing = [name for name in REQUIRED_CLAIMS if name not in claims]
        if missing:
            raise JWTDecodeError(f"Missing claim: {missing[0]}")
        if csrf_value:
            if "csrf" not in claims:
                raise JWTDecodeError("Missing claim: csrf")
            if not compare_digest(str(claims["csrf"]), csrf_value):
                raise CSRFError("CSRF double submit tokens do not match")
        claims.setdefault("fresh", False)
        return claims
