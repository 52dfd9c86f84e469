"""Marshmallow fields shared by features: strict about types, tidy about whitespace."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma

from app.domain.emails import MAX_LENGTH as MAX_EMAIL_LENGTH
from app.domain.emails import InvalidEmail, canonical_email
from app.domain.names import InvalidName, clean_name
from app.domain.passwords import MAX_LENGTH, MIN_LENGTH


class TrimmedEmail(ma.fields.Email):
    """An address as Keel accepts it (see app.domain.emails): trimmed, dot-atom only, the domain
    in its IDNA ASCII form; a quoted local part or a domain literal is a validation error."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=ma.validate.Length(max=MAX_EMAIL_LENGTH), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return canonical_email(text)
        except InvalidEmail as error:
            raise ma.ValidationError(str(error)) from None


class DisplayName(ma.fields.String):
    """A person's name: NFC, trimmed, 1-100 characters, nothing invisible (see app.domain.names)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=ma.validate.Length(min=1, max=100), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        try:
            return clean_name(super()._deserialize(value, attr, data, **kwargs))
        except InvalidName as error:
            raise ma.ValidationError(str(error)) from None


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
