"""Marshmallow fields shared by features: strict about types, tidy about whitespace, safe for text.

Every text a request body or query string carries is loaded by a field of this module: a plain
`marshmallow.fields.String` would let NUL through to the database (a 500 on PostgreSQL) and
invisible characters into what others read. `tests/api/edge/test_text_fields.py` fails on any
loaded string field whose class is not defined here, and on any text field here that takes NUL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma

from app.domain.emails import MAX_LENGTH as MAX_EMAIL_LENGTH
from app.domain.emails import InvalidEmail, canonical_email
from app.domain.names import clean_name
from app.domain.passwords import MAX_LENGTH, MIN_LENGTH
from app.domain.text import InvalidText, multi_line, single_line, storable

# What JSON Schema can say of the fields below goes into the document as `pattern`; the Unicode rules
# it cannot say (character categories, normalisation) are named in each field's `description`.
VISIBLE = r"\S"
NO_NUL = r"^[^\u0000]*$"
SINGLE_LINE_RULE = (
    "Single-line text, NFC-normalised and trimmed; control, format, private-use, unassigned, "
    "separator and invisible characters are refused"
)
NAME_RULE = (
    f"A name of 1-100 characters once trimmed. {SINGLE_LINE_RULE}, and a name needs at least one "
    "letter or digit and stacks at most four combining marks on a character"
)
CHOSEN_CREDENTIAL_RULE = (
    "8-128 characters, taken as sent (never trimmed); NUL and lone surrogates are refused, and so "
    "is a password on Keel's list of common passwords (compared case-insensitively)"
)
PRESENTED_CREDENTIAL_RULE = "The password as set: any text of 1-128 characters except NUL and lone surrogates"
EMAIL_RULE = (
    "A dot-atom address of at most 254 characters, trimmed: no quoted local part and no domain "
    "literal; the domain is kept in its IDNA ASCII form, so a domain IDNA refuses is refused"
)


def documented(metadata: Mapping[str, Any] | None, **defaults: Any) -> dict[str, Any]:
    """A field's metadata with the document's defaults under what the caller gave."""
    return {**defaults, **(metadata or {})}


class _CheckedText(ma.fields.String):
    """A string passed through `_clean`, whose InvalidText is the field's validation error."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        try:
            return self._clean(super()._deserialize(value, attr, data, **kwargs))
        except InvalidText as error:
            raise ma.ValidationError(str(error)) from None

    @staticmethod
    def _clean(text: str) -> str:
        return storable(text)


class SingleLineText(_CheckedText):
    """One line that shows as it reads (app.domain.text.single_line): NFC-normalised and trimmed;
    NUL, lone surrogates, control, format, private-use, unassigned and default-ignorable characters
    and line or paragraph separators are validation errors. The text field to reach for first:
    identifiers, tokens, titles, enumerated values (with `validate=OneOf(...)`)."""

    @staticmethod
    def _clean(text: str) -> str:
        return single_line(text)


class MultiLineText(_CheckedText):
    """Prose kept as sent (app.domain.text.multi_line): tab, LF and CRLF are its only controls;
    NUL, any other control character and lone surrogates are validation errors. Not trimmed."""

    @staticmethod
    def _clean(text: str) -> str:
        return multi_line(text)


class TrimmedEmail(ma.fields.Email):
    """An address as Keel accepts it (see app.domain.emails): trimmed, dot-atom only, the domain
    in its IDNA ASCII form; a quoted local part or a domain literal is a validation error."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = documented(kwargs.get("metadata"), description=EMAIL_RULE)
        super().__init__(validate=ma.validate.Length(max=MAX_EMAIL_LENGTH), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return canonical_email(single_line(text))
        except (InvalidText, InvalidEmail) as error:
            raise ma.ValidationError(str(error)) from None


class DisplayName(SingleLineText):
    """A person's name: single-line text of 1-100 characters that reads as a name (see
    app.domain.names: no "Zalgo" runs of marks, at least one letter or digit)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = documented(kwargs.get("metadata"), pattern=VISIBLE, description=NAME_RULE)
        super().__init__(validate=ma.validate.Length(min=1, max=100), **kwargs)

    @staticmethod
    def _clean(text: str) -> str:
        return clean_name(text)


class Password(_CheckedText):
    """Any text of 8-128 characters, taken as sent (never trimmed or normalised), except NUL and
    lone surrogates (JSON's "\\ud800" escapes decode to them): no hash function, C library or
    database takes those as the person typed them."""

    def __init__(self, **kwargs: Any) -> None:
        """A new password by default; one checked against the stored hash passes its own `validate`."""
        new = "validate" not in kwargs
        kwargs.setdefault("validate", ma.validate.Length(min=MIN_LENGTH, max=MAX_LENGTH))
        rule = CHOSEN_CREDENTIAL_RULE if new else PRESENTED_CREDENTIAL_RULE
        kwargs["metadata"] = documented(kwargs.get("metadata"), pattern=NO_NUL, description=rule)
        super().__init__(load_only=True, **kwargs)


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
