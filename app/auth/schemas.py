"""What authentication reads and writes over HTTP: registration, credentials, token pairs."""

import marshmallow as ma

from app.web.fields import DisplayName, Password, TrimmedEmail


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


class PasswordResetRequestSchema(ma.Schema):
    email = TrimmedEmail(required=True)


class PasswordResetConfirmSchema(ma.Schema):
    token = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128))
    new_password = Password(required=True)
