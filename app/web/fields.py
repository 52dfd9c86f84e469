"""Marshmallow fields shared by features: strict about types, tidy about whitespace."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma

from app.domain.passwords import MAX_LENGTH, MIN_LENGTH

# Joiners shape letters in Persian, Arabic and Indic scripts (and build emoji), so they may stand
# between two visible characters; every other format character (category Cf: zero-width spaces,
# word joiners, soft hyphens, bidirectional overrides) is invisible or disguises the text.
_JOINERS = frozenset("\u200c\u200d")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


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

    @staticmethod
    def _is_hidden(text: str, index: int) -> bool:
        char = text[index]
        if char in _JOINERS:
            inside = 0 < index < len(text) - 1
            return not (inside and not text[index - 1].isspace() and not text[index + 1].isspace())
        return unicodedata.category(char) in _REFUSED_CATEGORIES

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=ma.validate.Length(min=1, max=100), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if any(self._is_hidden(text, index) for index in range(len(text))):
            raise ma.ValidationError("Must not contain control or invisible format characters.")
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


class UtcDateTime(ma.fields.AwareDateTime):
    """A timestamp with an explicit offset, read as its instant in UTC. An offset can carry a valid
    local time past year 1 or 9999 (`0001-01-01T00:00:00+14:00`): no such instant exists, so it is a
    validation error here instead of an OverflowError wherever it is first converted."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ma.ValidationError("Must be between 0001-01-01 and 9999-12-31 in UTC.") from None
