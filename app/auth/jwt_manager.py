"""flask-jwt-extended with one verified decode per token, its key chosen by the token's `kid`.

The stock manager decodes every token twice unverified (claims, then header) to choose a key, and
then a third time to verify it. Here only the header is read unverified, and only for its `kid`:

- a `kid` names a published signing key; the token is verified with that key under that key's own
  algorithm only (never the header's choice: `none`, HS256 keyed with the public key, or an RS/ES
  token for an EdDSA key are refused), and must carry Keel's `iss` and `aud` and be an access token;
- no `kid`: a refresh token, or an access token issued before access tokens were signed with the
  key set; HS256 under JWT_SECRET_KEY only. Such an access token is accepted only if it expires
  before the legacy deadline (the first key's creation plus a rollout's grace): after that none
  can be live, so JWT_SECRET_KEY alone can no longer make an access token.

The checks the key loader used to make on the unverified claims (every required claim present
before flask-jwt-extended fills defaults) run on the verified result.

A failed CSRF double submit (a token cookie without its CSRF header, or with a wrong one) gets a
callback of its own: the stock manager hands it to the unauthorized callback, the one a missing
token reaches too, so the two could only be told apart by the wording of its message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from hmac import compare_digest
from typing import Any

import jwt as pyjwt
from flask import Flask, Response
from flask.typing import ResponseReturnValue
from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config
from flask_jwt_extended.exceptions import CSRFError, JWTDecodeError
from jwt.types import Options

from app.auth.tokens import REQUIRED_CLAIMS


@dataclass(frozen=True)
class AccessKey:
    """What verifies an access token naming a `kid`: the key, its one algorithm, Keel's iss and aud."""

    algorithm: str
    key: Any
    issuer: str
    audience: str


class SingleDecodeJWTManager(JWTManager):
    # Set where the app is wired (app.auth.jwt_callbacks): the published key with this kid, or None.
    access_key: Callable[[str], AccessKey | None] | None = None
    # The latest `exp` a kid-less access token may carry (epoch seconds), or None before any key.
    legacy_access_deadline: Callable[[], int | None] | None = None
    # The answer to a failed CSRF double submit, given the library's reason; None: the unauthorized one.
    csrf_error_callback: Callable[[str], Response] | None = None

    def csrf_error_loader(self, callback: Callable[[str], Response]) -> Callable[[str], Response]:
        """Set the answer to a cookie whose CSRF header is missing or does not match its token."""
        self.csrf_error_callback = callback
        return callback

    def _set_error_handler_callbacks(self, app: Flask) -> None:
        super()._set_error_handler_callbacks(app)
        app.register_error_handler(CSRFError, self._csrf_failed)  # replaces the stock CSRFError handler

    def _csrf_failed(self, error: CSRFError) -> ResponseReturnValue:
        if self.csrf_error_callback is not None:
            return self.csrf_error_callback(str(error))
        return self._unauthorized_callback(str(error))

    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value: str | None = None, allow_expired: bool = False
    ) -> dict[str, Any]:
        options: Options = {"verify_sub": config.verify_sub}
        if allow_expired:
            options["verify_exp"] = False
        try:
            claims = self._verified_claims(encoded_token, options)
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

    def _verified_claims(self, encoded_token: str, options: Options) -> dict[str, Any]:
        kid = _unverified_header(encoded_token).get("kid")
        if kid is None:
            legacy = _verified_with_secret(encoded_token, options)
            if legacy.get("type") == "access" and not self._legacy_access_allowed(legacy):
                raise pyjwt.InvalidTokenError("kid-less access tokens are no longer issued")
            return legacy
        if not isinstance(kid, str) or self.access_key is None:
            raise pyjwt.InvalidTokenError("kid must name a published key")
        found = self.access_key(kid)
        if found is None:
            raise pyjwt.InvalidTokenError("unknown kid")
        claims = pyjwt.decode(
            encoded_token,
            found.key,
            algorithms=[found.algorithm],
            audience=found.audience,
            issuer=found.issuer,
            leeway=config.leeway,
            options={**options, "require": ["iss", "aud", "exp", "iat", "sub", "jti"]},
        )
        if claims.get("type") != "access":
            raise pyjwt.InvalidTokenError("only access tokens are signed with the key set")
        return claims

    def _legacy_access_allowed(self, claims: dict[str, Any]) -> bool:
        deadline = None if self.legacy_access_deadline is None else self.legacy_access_deadline()
        return deadline is None or (isinstance(claims.get("exp"), int) and claims["exp"] <= deadline)


def _unverified_header(encoded_token: str) -> dict[str, Any]:
    """The header alone, to choose the key: PyJWT reads a whole token to return its header, and the
    decode that follows reads and checks every segment again anyway (a third of the guard's parsing)."""
    header_segment = encoded_token.split(".", 1)[0]
    return pyjwt.get_unverified_header(f"{header_segment}..")


def _verified_with_secret(encoded_token: str, options: Options) -> dict[str, Any]:
    claims: dict[str, Any] = pyjwt.decode(
        encoded_token,
        config.decode_key,
        algorithms=config.decode_algorithms,
        audience=config.decode_audience,
        issuer=config.decode_issuer,
        leeway=config.leeway,
        options={**options, "verify_aud": config.decode_audience is not None},
    )
    return claims
