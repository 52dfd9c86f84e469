"""What authentication reads and writes over HTTP: registration, credentials, token pairs."""

from typing import Any, ClassVar

import marshmallow as ma

from app.web.api import ProblemSchema
from app.web.fields import DisplayName, Password, SingleLineText, TrimmedEmail

# The shapes of what Keel issues, so a client (and a generator) knows a well-formed one: tokens of
# `secrets.token_urlsafe(32)`, itsdangerous' `payload.signature` (a leading "." when compressed) with
# its 27-character HMAC-SHA1, six-digit TOTP codes, and recovery codes of twelve hex digits (sent
# with or without their dashes, in any case).
URLSAFE_TOKEN = r"^[A-Za-z0-9_-]{43}$"  # noqa: S105 - a pattern, not a secret
SIGNED_TOKEN = r"^\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{27}$"  # noqa: S105 - a pattern
TOTP_CODE = r"^[0-9]{6}$"
RECOVERY_CODE = r"^[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}$"
TOTP_OR_RECOVERY_CODE = r"^([0-9]{6}|[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4})$"
_ISSUED = "; whether it is one Keel issued and still honours only the service can tell (400 `invalid_token`)"

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
        metadata={
            "description": "The second factor's code, for accounts that have one turned on: six digits "
            "from the app, or an unused recovery code (`xxxx-xxxx-xxxx`, hex)",
            "pattern": TOTP_OR_RECOVERY_CODE,
        },
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
    token = SingleLineText(
        required=True,
        validate=ma.validate.Length(min=1, max=128),
        metadata={
            "description": "The token from the reset mail: 43 URL-safe Base64 characters" + _ISSUED,
            "pattern": URLSAFE_TOKEN,
        },
    )
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
    token = SingleLineText(
        required=True,
        validate=ma.validate.Length(min=1, max=512),
        metadata={
            "description": "The token from the verification mail: a signed `payload.signature` in "
            "URL-safe Base64" + _ISSUED,
            "pattern": SIGNED_TOKEN,
        },
    )


_CODE = ma.validate.Length(min=1, max=64)


class MfaPasswordSchema(ma.Schema):
    password = Password(required=True, validate=ma.validate.Length(min=1, max=128))


class MfaCodeSchema(ma.Schema):
    code = SingleLineText(
        required=True,
        validate=_CODE,
        metadata={"description": "The 6-digit code the app shows now", "pattern": TOTP_CODE},
    )


class MfaPasswordAndCodeSchema(ma.Schema):
    password = Password(required=True, validate=ma.validate.Length(min=1, max=128))
    code = SingleLineText(
        required=True,
        validate=_CODE,
        metadata={
            "description": "A 6-digit code from the app, or an unused recovery code (`xxxx-xxxx-xxxx`, hex)",
            "pattern": TOTP_OR_RECOVERY_CODE,
        },
    )


class MfaVerifySchema(ma.Schema):
    mfa_token = SingleLineText(
        required=True,
        validate=ma.validate.Length(min=1, max=128),
        metadata={
            "description": "The `mfa_token` member of login's `mfa_required` answer (43 URL-safe Base64 "
            "characters); whether it is still open only the service can tell (401 `mfa_token_invalid`)",
            "pattern": URLSAFE_TOKEN,
        },
    )
    code = SingleLineText(
        validate=_CODE, metadata={"description": "A 6-digit code from the app", "pattern": TOTP_CODE}
    )
    recovery_code = SingleLineText(
        validate=_CODE,
        metadata={
            "description": "An unused recovery code: twelve hex digits, `xxxx-xxxx-xxxx`",
            "pattern": RECOVERY_CODE,
        },
    )

    class Meta:
        # Exactly one of the two codes, as `_exactly_one_code` checks.
        json_schema: ClassVar[dict[str, Any]] = {
            "oneOf": [{"required": ["code"]}, {"required": ["recovery_code"]}]
        }

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
