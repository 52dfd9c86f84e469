"""What authentication reads and writes over HTTP: registration, credentials, token pairs."""

from typing import Any

import marshmallow as ma

from app.web.api import ProblemSchema
from app.web.fields import DisplayName, Password, SingleLineText, TrimmedEmail

# Every code a login's 401 can carry (app.auth.service.AuthService.login).
LOGIN_UNAUTHORIZED_CODES = ("invalid_credentials", "mfa_required")


class RegisterSchema(ma.Schema):
    email = TrimmedEmail(required=True)
    password = Password(required=True)
    name = DisplayName(required=True)


class LoginSchema(ma.Schema):
    email = TrimmedEmail(required=True)
    # Any length up to the maximum: a wrong password of the wrong length is still just wrong.
    password = Password(required=True, validate=ma.validate.Length(min=1, max=128))


class TokenPairSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(
        required=True, metadata={"description": "Access token lifetime in seconds"}
    )
    device_token = ma.fields.String(
        metadata={
            "description": "Login only (not refresh): proof this client has signed in to this account. "
            "Present it at later logins (cookie `keel_device`, also set, or header `X-Device-Token`) "
            "so failed attempts from this device draw on its own budget. A secret: store it like "
            "the refresh token."
        }
    )

    @ma.post_dump
    def _only_with_a_device_token(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("device_token") is None:
            data.pop("device_token", None)
        return data


class ReauthenticateSchema(ma.Schema):
    # Any length up to the maximum, as at login: a wrong password of the wrong length is still just wrong.
    password = Password(required=True, validate=ma.validate.Length(min=1, max=128))
    code = SingleLineText(
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "The second factor's code, for accounts that have one turned on"},
    )


class AccessTokenSchema(ma.Schema):
    access_token = ma.fields.String(
        required=True,
        metadata={"description": "For the same session (same `sid`), with a fresh `auth_time`"},
    )
    token_type = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(
        required=True, metadata={"description": "Access token lifetime in seconds"}
    )


class PasswordResetRequestSchema(ma.Schema):
    email = TrimmedEmail(required=True)


class PasswordResetConfirmSchema(ma.Schema):
    token = SingleLineText(required=True, validate=ma.validate.Length(min=1, max=128))
    new_password = Password(required=True)


class SessionSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    last_used_at = ma.fields.AwareDateTime(
        required=True, metadata={"description": "The last login or token refresh of this session"}
    )
    expires_at = ma.fields.AwareDateTime(
        required=True,
        metadata={"description": "When it lapses unless refreshed (never past its absolute end)"},
    )
    user_agent = ma.fields.String(allow_none=True, required=True)
    client_address = ma.fields.String(allow_none=True, required=True)
    current = ma.fields.Boolean(required=True, metadata={"description": "The session making this call"})


class SessionListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SessionSchema), required=True)


class VerifyEmailSchema(ma.Schema):
    token = SingleLineText(required=True, validate=ma.validate.Length(min=1, max=512))


_CODE = ma.validate.Length(min=1, max=64)


class MfaPasswordSchema(ma.Schema):
    password = Password(required=True, validate=ma.validate.Length(min=1, max=128))


class MfaCodeSchema(ma.Schema):
    code = SingleLineText(
        required=True, validate=_CODE, metadata={"description": "The 6-digit code the app shows now"}
    )


class MfaPasswordAndCodeSchema(ma.Schema):
    password = Password(required=True, validate=ma.validate.Length(min=1, max=128))
    code = SingleLineText(
        required=True,
        validate=_CODE,
        metadata={"description": "A 6-digit code from the app, or an unused recovery code"},
    )


class MfaVerifySchema(ma.Schema):
    mfa_token = SingleLineText(
        required=True,
        validate=ma.validate.Length(min=1, max=128),
        metadata={"description": "The `mfa_token` member of login's `mfa_required` answer"},
    )
    code = SingleLineText(validate=_CODE, metadata={"description": "A 6-digit code from the app"})
    recovery_code = SingleLineText(validate=_CODE, metadata={"description": "An unused recovery code"})

    @ma.validates_schema
    def _exactly_one_code(self, data: dict[str, Any], **_: Any) -> None:
        if ("code" in data) == ("recovery_code" in data):
            raise ma.ValidationError("Send exactly one of code and recovery_code.", field_name="code")


class MfaEnrolmentSchema(ma.Schema):
    secret = ma.fields.String(
        required=True, metadata={"description": "The base32 TOTP secret (160 bits), for manual entry"}
    )
    otpauth_uri = ma.fields.String(
        required=True, metadata={"description": "`otpauth://totp/...`: show it as a QR code"}
    )


class RecoveryCodesSchema(ma.Schema):
    recovery_codes = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "Ten single-use codes, shown this once; only their hashes are kept"},
    )


class MfaStatusSchema(ma.Schema):
    totp_enabled = ma.fields.Boolean(required=True)
    recovery_codes_remaining = ma.fields.Integer(required=True)


class MfaRequiredProblemSchema(ProblemSchema):
    """A login's 401: a plain problem, or `mfa_required` with what the second step needs."""

    # Login is anonymous: no token is checked, so only its own two reasons can answer it.
    code = ma.fields.String(required=True, validate=ma.validate.OneOf(LOGIN_UNAUTHORIZED_CODES))

    mfa_token = ma.fields.String(
        metadata={
            "description": "Only with `mfa_required` at login: the single-use token POST "
            "/auth/mfa/verify takes, valid for MFA_TOKEN_TTL_SECONDS"
        }
    )
    mfa_methods = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(("totp", "recovery_code"))),
        metadata={"description": "Only with `mfa_token`: what may answer it"},
    )
