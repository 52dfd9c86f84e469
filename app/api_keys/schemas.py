"""What API key endpoints read and write over HTTP."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from app.api_keys.models import NAME_MAX_LENGTH
from app.domain.api_keys import PATTERN, SCOPES
from app.web.fields import SINGLE_LINE_RULE, VISIBLE, SingleLineText
from app.web.page_schemas import PageQuerySchema, page_schema


class ApiKeySchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True, required=True)
    name = ma.fields.String(dump_only=True, required=True)
    prefix = ma.fields.String(
        dump_only=True,
        required=True,
        metadata={
            "description": "The key's first characters, to tell keys apart; the rest is never shown again."
        },
    )
    scopes = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(SCOPES)),
        dump_only=True,
        required=True,
        attribute="scope_list",
    )
    created_at = ma.fields.AwareDateTime(dump_only=True, required=True)
    expires_at = ma.fields.AwareDateTime(dump_only=True, required=True, allow_none=True)
    last_used_at = ma.fields.AwareDateTime(
        dump_only=True,
        required=True,
        allow_none=True,
        metadata={"description": "The last use, to within a minute; null until the key is first used."},
    )


class CreatedApiKeySchema(ApiKeySchema):
    key = ma.fields.String(
        dump_only=True,
        required=True,
        metadata={
            "description": f"The key itself, shown this once and stored nowhere: `{PATTERN}` "
            "(a CRC32 checksum in its last six characters, for leak scanners).",
            "pattern": f"^{PATTERN}$",
        },
    )


class ApiKeyCreateSchema(ma.Schema):
    name = SingleLineText(
        required=True,
        validate=ma.validate.Length(min=1, max=NAME_MAX_LENGTH),
        metadata={"pattern": VISIBLE, "description": f"{SINGLE_LINE_RULE}."},
    )
    scopes = ma.fields.List(
        SingleLineText(validate=ma.validate.OneOf(SCOPES)),
        required=True,
        validate=ma.validate.Length(min=1, max=len(SCOPES)),
        metadata={"uniqueItems": True, "description": "Each scope once"},
    )
    expires_at = ma.fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "In the future (with a UTC offset); null or absent: never expires"},
    )

    @ma.validates("scopes")
    def _distinct(self, value: list[str], **_kwargs: Any) -> None:
        if len(set(value)) != len(value):
            raise ma.ValidationError("Name each scope once.")


class ApiKeyListQuerySchema(PageQuerySchema):
    pass


ApiKeyPageSchema = page_schema(ApiKeySchema, "ApiKeyPage")
