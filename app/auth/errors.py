"""Errors of authentication, each with its contract code."""

from app.domain.errors import BadRequest, Forbidden, NotFound, Unauthorized


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
