"""orjson behind Flask's JSON provider: flask-smorest serialises every response through it."""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import JSONProvider

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class OrjsonProvider(JSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, default=_default, option=_OPTIONS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)
