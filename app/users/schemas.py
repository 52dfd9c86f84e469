"""What account endpoints read and write over HTTP; field rules shared with auth live in app.web.fields."""

from typing import Any

import marshmallow as ma

from app.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT, Cursor, InvalidCursor
from app.users.models import ROLES
from app.web.fields import DisplayName, Password, SingleLineText, StrictBoolean, TrimmedEmail


class UserSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True, required=True)
    email = ma.fields.String(dump_only=True, required=True)
    name = ma.fields.String(dump_only=True, required=True)
    role = ma.fields.String(dump_only=True, required=True, metadata={"enum": list(ROLES)})
    is_active = ma.fields.Boolean(dump_only=True, required=True)
    email_verified = ma.fields.Boolean(dump_only=True, required=True)
    created_at = ma.fields.AwareDateTime(dump_only=True, required=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True, required=True)


class UserCreateSchema(ma.Schema):
    email = TrimmedEmail(required=True)
    password = Password(required=True)
    name = DisplayName(required=True)
    role = SingleLineText(load_default="user", validate=ma.validate.OneOf(ROLES))


class UserUpdateSchema(ma.Schema):
    name = DisplayName()
    email = TrimmedEmail()
    password = Password()
    current_password = Password(validate=ma.validate.Length(min=1, max=128))
    role = SingleLineText(validate=ma.validate.OneOf(ROLES))
    is_active = StrictBoolean()

    @ma.validates_schema
    def _not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not set(data) - {"current_password"}:
            raise ma.ValidationError("Give at least one field to change.", "_schema")


class CursorField(ma.fields.Field[Cursor]):
    """An opaque keyset cursor; anything that does not decode is a 422, never a 500."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Cursor:
        if not isinstance(value, str):
            raise ma.ValidationError("Invalid cursor.")
        try:
            return Cursor.decode(value)
        except InvalidCursor as error:
            raise ma.ValidationError("Invalid cursor.") from error


class UserListQuerySchema(ma.Schema):
    limit = ma.fields.Integer(load_default=DEFAULT_LIMIT, validate=ma.validate.Range(min=1, max=MAX_LIMIT))
    cursor = CursorField()
    role = SingleLineText(validate=ma.validate.OneOf(ROLES))
    is_active = ma.fields.Boolean()


class UserPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(UserSchema), required=True)
    next_cursor = ma.fields.String(
        allow_none=True, required=True, metadata={"description": "The next page's cursor; null on the last"}
    )
