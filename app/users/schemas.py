"""What account endpoints read and write over HTTP; field rules shared with auth live in app.web.fields."""

from typing import Any, ClassVar

import marshmallow as ma

from app.users.models import ROLES
from app.web.compiled_schema import CompiledDumpSchema
from app.web.fields import DisplayName, Password, SingleLineText, StrictBoolean, TrimmedEmail
from app.web.page_schemas import PageQuerySchema, page_schema


class UserSchema(CompiledDumpSchema):
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
    class Meta:
        # `_not_empty`: JSON Schema can say "not empty"; "not current_password alone" it says in words.
        json_schema: ClassVar[dict[str, Any]] = {
            "minProperties": 1,
            "description": "At least one field to change; `current_password` alone changes nothing and "
            "is refused. Changing your own email or password needs `current_password`.",
        }

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


class UserListQuerySchema(PageQuerySchema):
    role = SingleLineText(validate=ma.validate.OneOf(ROLES))
    is_active = ma.fields.Boolean()


UserPageSchema = page_schema(UserSchema, "UserPage")
