"""Marshmallow fields shared by features: strict about types, tidy about whitespace."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

import marshmallow as ma

from app.domain.passwords import MAX_LENGTH, MIN_LENGTH

# Bidirectional overrides can disguise a name; other format characters are invisible.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class TrimmedEmail(ma.fields.Email):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=ma.validate.Length(max=254), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if isinstance(value, str):
            value = value.strip()
        return super()._deserialize(value, attr, data, **kwargs)


class DisplayName(ma.fields.String):
    """A person's name: trimmed, 1-100 characters, no control or invisible format characters."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=ma.validate.Length(min=1, max=100), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") or ch in _BIDI_CONTROLS for ch in text):
            raise ma.ValidationError("Must not contain control characters.")
        return text


class Password(ma.fields.String):
    """Any text of 8-128 characters that can be encoded: JSON's "\\ud800" escapes decode to lone
    surrogates, which no hash function or database accepts."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", ma.validate.Length(min=MIN_LENGTH, max=MAX_LENGTH))
        super().__init__(load_only=True, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ma.ValidationError("Must be valid Unicode text.") from None
        return text


class StrictBoolean(ma.fields.Boolean):
    """JSON true/false only: 1, "yes" or "true" are type errors in a body."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value
