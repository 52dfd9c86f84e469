"""Schema-level JSON Schema keywords for request bodies, through apispec's documented converter hook.

apispec turns a marshmallow schema's fields into `properties`, but a rule about the body as a whole
(such as "at least one member") has no field to hang on. A schema states it as `Meta.json_schema`,
a mapping of keywords merged into the schema's JSON Schema; the plugin is apispec's MarshmallowPlugin
with its `Converter` subclassed, as apispec documents for extending the conversion.
"""

from __future__ import annotations

from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.openapi import OpenAPIConverter


class KeelConverter(OpenAPIConverter):
    def schema2jsonschema(self, schema: Any) -> dict[str, Any]:
        jsonschema: dict[str, Any] = super().schema2jsonschema(schema)  # type: ignore[no-untyped-call]
        extra = getattr(getattr(schema, "Meta", None), "json_schema", None)
        if extra:
            jsonschema.update(extra)
        return jsonschema


class KeelMarshmallowPlugin(MarshmallowPlugin):
    Converter = KeelConverter
