"""A marshmallow schema whose dump of an object is planned once per schema instead of per field call.

marshmallow serialises each field of each object through the field's generic path (attribute
lookup through the schema's accessor, dotted names, defaults, then the type's conversion): for a
page of twenty users that is most of the view's CPU. Here each field's plan is built on the first
dump: a plain attribute read and, for the value types the API returns (str, UUID, bool, datetime),
the conversion marshmallow itself would make; any other value or field goes through the field's own
`_serialize` or `serialize`, so the output is marshmallow's, byte for byte. Hooks (`pre_dump`,
`post_dump`) still run around it, and the OpenAPI document is the fields', unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import Any

import marshmallow as ma
from marshmallow import missing

Getter = Callable[[Any], Any]


class CompiledDumpSchema(ma.Schema):
    """Use for response schemas on hot paths; requests still load through marshmallow unchanged."""

    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        if many and obj is not None:
            return [self._serialize(item) for item in obj]
        if obj is None or hasattr(obj, "__getitem__") or not self._plain_attributes:
            return super()._serialize(obj)  # mappings, or a schema's own accessor: marshmallow's lookup
        dumped = self.dict_class()
        for key, read in self._dump_plan:
            value = read(obj)
            if value is not missing:
                dumped[key] = value
        return dumped

    @cached_property
    def _plain_attributes(self) -> bool:
        return type(self).get_attribute is ma.Schema.get_attribute

    @cached_property
    def _dump_plan(self) -> list[tuple[str, Getter]]:
        return [
            (field.data_key if field.data_key is not None else name, _reader(self, name, field))
            for name, field in self.dump_fields.items()
        ]


def _reader(schema: ma.Schema, name: str, field: ma.fields.Field[Any]) -> Getter:
    attribute = field.attribute or name
    convert = _conversion(field)
    if convert is None or "." in attribute or field.dump_default is not missing:
        return lambda obj: field.serialize(name, obj, accessor=schema.get_attribute)

    def read(obj: Any) -> Any:
        value = getattr(obj, attribute, missing)
        if value is missing or value is None:
            return value
        return convert(value, name, obj)

    return read


_DATETIME_FIELDS = (ma.fields.DateTime, ma.fields.AwareDateTime, ma.fields.NaiveDateTime)


def _conversion(field: ma.fields.Field[Any]) -> Callable[[Any, str, Any], Any] | None:
    """The field type's conversion for the value types it meets in practice, else its own method.

    Only marshmallow's own field classes qualify (a subclass may convert differently).
    """
    own = field._serialize
    kind = type(field)
    if kind is ma.fields.UUID:
        return lambda value, name, obj: str(value) if type(value) is uuid.UUID else own(value, name, obj)
    if kind is ma.fields.String:
        return lambda value, name, obj: value if type(value) is str else own(value, name, obj)
    if kind is ma.fields.Boolean:
        return lambda value, name, obj: value if type(value) is bool else own(value, name, obj)
    if kind in _DATETIME_FIELDS and getattr(field, "format", None) == "iso":
        return lambda value, name, obj: (
            value.isoformat() if type(value) is datetime else own(value, name, obj)
        )
    return None
