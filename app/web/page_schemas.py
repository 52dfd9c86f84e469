"""The schemas of a keyset page, once for every listing: `limit` and `cursor` in, `items` and
`next_cursor` out. A feature's listing adds only its filters and names its item schema.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from app.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT, Cursor, InvalidCursor


class CursorField(ma.fields.Field[Cursor]):
    """An opaque keyset cursor; anything that does not decode is a 422, never a 500. On the wire
    it is a string, and the document says so: generated clients type it, not `any`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {
            "type": "string",
            "minLength": 1,
            # Cursor.encode: unpadded URL-safe Base64, which a length of 1 more than a multiple of 4 never is.
            "pattern": r"^([A-Za-z0-9_-]{4})*([A-Za-z0-9_-]{2,3})?$",
            "description": "The `next_cursor` of the previous page, as it came: an opaque token "
            "(URL-safe Base64); one Keel did not issue is a 422, which JSON Schema cannot tell apart",
            **kwargs.get("metadata", {}),
        }
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Cursor:
        if not isinstance(value, str):
            raise ma.ValidationError("Invalid cursor.")
        try:
            return Cursor.decode(value)
        except InvalidCursor as error:
            raise ma.ValidationError("Invalid cursor.") from error


def limit_field(*, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> ma.fields.Integer:
    """How many items a page holds; a listing whose rows are small may allow more."""
    return ma.fields.Integer(load_default=default, validate=ma.validate.Range(min=1, max=maximum))


class PageQuerySchema(ma.Schema):
    """The query of a listing: subclass it, add the filters, and override `limit` to change its bounds."""

    limit = limit_field()
    cursor = CursorField()


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """`{items, next_cursor}` of `item`; `name` (say "UserPage") is its name in the OpenAPI document."""
    fields: dict[str, Any] = {
        "items": ma.fields.List(ma.fields.Nested(item), required=True),
        "next_cursor": ma.fields.String(
            allow_none=True,
            required=True,
            metadata={"description": "The next page's cursor; null on the last"},
        ),
    }
    return type(f"{name}Schema", (ma.Schema,), fields)
