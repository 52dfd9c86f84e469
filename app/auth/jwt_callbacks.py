"""Every flask-jwt-extended outcome, mapped to the contract: 401 problem+json with WWW-Authenticate."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import Response, request
from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config

from app.auth.jwt_manager import AccessKey, SingleDecodeJWTManager
from app.auth.tokens import amr_of, auth_time_of, claims_are_complete
from app.composition import container
from app.domain.principal import Principal
from app.observability.context import set_user_id
from app.web.problems import BEARER_CHALLENGE, problem


def _unauthorized(code: str, detail: str) -> Response:
    return problem(401, code, detail, headers=BEARER_CHALLENGE)


def register(jwt: JWTManager) -> None:
    jwt.token_verification_loader(_claims_are_complete)
    jwt.user_lookup_loader(_load_principal)
    jwt.unauthorized_loader(_missing)
    jwt.invalid_token_loader(_invalid)
    jwt.expired_token_loader(_expired)
    jwt.revoked_token_loader(_revoked)
    jwt.needs_fresh_token_loader(_revoked)
    jwt.token_verification_failed_loader(_incomplete)
    jwt.user_lookup_error_loader(_revoked)
    if isinstance(jwt, SingleDecodeJWTManager):
        jwt.access_key = _access_key
        jwt.legacy_access_deadline = _legacy_access_deadline
        jwt.csrf_error_loader(_csrf_failed)


def _access_key(kid: str) -> AccessKey | None:
    """A published key of the key set (next, active or retiring), as cached by this process."""
    built = container()
    found = built.keys.verification_key(kid, built.clock())
    if found is None:
        return None
    algorithm, key = found
    return AccessKey(
        algorithm=algorithm, key=key, issuer=built.settings.jwt_issuer, audience=built.settings.jwt_audience
    )


def _legacy_access_deadline() -> int | None:
    built = container()
    grace = timedelta(
        seconds=built.settings.jwt_key_activation_seconds + built.settings.jwt_access_ttl_seconds
    )
    deadline = built.keys.legacy_access_deadline(grace)
    return None if deadline is None else int(deadline.timestamp())


def _claims_are_complete(_header: dict[str, Any], data: dict[str, Any]) -> bool:
    return claims_are_complete(data)


def _load_principal(_header: dict[str, Any], data: dict[str, Any]) -> Principal | None:
    principal = container().load_caller(
        user_id=uuid.UUID(data["sub"]),
        session_id=uuid.UUID(data["sid"]),
        auth_time=auth_time_of(data),
        amr=amr_of(data),
    )
    if principal is not None:
        set_user_id(str(principal.user_id))
    return principal


def _missing(_reason: str) -> Response:
    return _unauthorized("unauthorized", "A valid bearer token is required.")


def _csrf_failed(_reason: str) -> Response:
    """A refresh cookie whose double-submit CSRF header is absent or wrong: the token itself is not judged."""
    header = config.refresh_csrf_header_name
    if request.headers.get(header):
        detail = f"The {header} header does not match the refresh token cookie's CSRF value."
    else:
        detail = (
            f"The refresh token cookie needs the csrf_refresh_token cookie's value in the {header} header."
        )
    return _unauthorized("csrf_token_invalid", detail)


def _invalid(_reason: str) -> Response:
    return _unauthorized("unauthorized", "The token is invalid.")


def _incomplete(_header: dict[str, Any], _data: dict[str, Any]) -> Response:
    return _unauthorized("unauthorized", "The token is invalid.")


def _expired(_header: dict[str, Any], _data: dict[str, Any]) -> Response:
    return _unauthorized("token_expired", "The token has expired.")


def _revoked(_header: dict[str, Any], _data: dict[str, Any]) -> Response:
    return _unauthorized("token_revoked", "The token is no longer valid.")
