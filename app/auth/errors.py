"""Errors of authentication, each with its contract code."""

from collections.abc import Mapping
from typing import Any

from app.domain.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    default_detail = "The email or password is wrong."


class AccountDisabled(Forbidden):
    code = "account_disabled"
    default_detail = "This account is disabled."


class TokenRevoked(Unauthorized):
    code = "token_revoked"
    default_detail = "The token has been revoked."


class TokenReused(Unauthorized):
    code = "token_reused"
    default_detail = "The refresh token was already used; every session token of this login is revoked."


class TokenExpired(Unauthorized):
    code = "token_expired"
    default_detail = "The token has expired."


class InvalidResetToken(BadRequest):
    code = "invalid_token"
    default_detail = "This reset link is invalid, expired or already used; ask for a new one."


class SessionNotFound(NotFound):
    code = "not_found"
    default_detail = "No such session."


class EmailUnverified(Forbidden):
    code = "email_unverified"
    default_detail = "Confirm your email address first: follow the link in the verification mail."


class MfaRequired(Unauthorized):
    """The password was right and the account has a second factor: a code is still owed.

    At login it carries the challenge's single-use `mfa_token` and the methods that can answer it.
    """

    code = "mfa_required"
    default_detail = "This account has a second factor: send a code from your authenticator app."
    METHODS = ("totp", "recovery_code")

    def __init__(self, detail: str | None = None, *, mfa_token: str | None = None) -> None:
        super().__init__(detail)
        self.mfa_token = mfa_token

    def members(self) -> Mapping[str, Any]:
        if self.mfa_token is None:
            return {}
        return {"mfa_token": self.mfa_token, "mfa_methods": list(self.METHODS)}


class InvalidOtp(Unauthorized):
    code = "invalid_otp"
    default_detail = "The code is wrong, expired or already used."


class MfaTokenInvalid(Unauthorized):
    code = "mfa_token_invalid"
    default_detail = "This sign-in has expired or is already complete; log in again."


class MfaAlreadyEnabled(Conflict):
    code = "mfa_already_enabled"
    default_detail = "A second factor is already on for this account."


class MfaNotPending(Conflict):
    code = "mfa_not_pending"
    default_detail = "No second factor is waiting to be confirmed; start the enrolment first."


class MfaNotEnabled(Conflict):
    code = "mfa_not_enabled"
    default_detail = "This account has no second factor."
