"""What text a request may carry: nothing a database refuses, nothing hidden where text is one line.

Every text is refused if it holds NUL (PostgreSQL cannot store it and C libraries stop at it) or a
lone surrogate (a JSON escape such as "\\ud800" decodes to one; it has no UTF-8 form, so no hash,
column or mail can take it).

Single-line text (names, tokens, enumerated values) must show as it reads. It is NFC-normalised and
trimmed, then refused if it holds control, format, surrogate, private-use or unassigned characters,
line or paragraph separators, or Unicode's Default_Ignorable_Code_Point characters (zero-width
spaces, invisible operators, variation selectors, tag characters: things that render as nothing).

Default_Ignorable_Code_Point is a derived property (DerivedCoreProperties.txt) that the standard
library's unicodedata does not expose; the `regex` package, maintained and updated with each
Unicode release, answers `\\p{Default_Ignorable_Code_Point}` from that same data, so no copy of the
ranges lives here to go stale.

Two exceptions keep real names and emoji working: ZWNJ and ZWJ between two visible characters
(they shape Persian, Arabic and Indic letters and build emoji sequences), and the emoji
presentation selectors right after a symbol ("❤️" is U+2764 U+FE0F).

Multi-line text (descriptions, comments) is kept as sent: tab, line feed and CRLF are its only
control characters; every other control (NUL, a lone CR, ESC, DEL, C1 controls) and lone surrogates
are refused. Format characters stay: bidirectional marks and joiners belong to prose in many scripts.
"""

from __future__ import annotations

import unicodedata

import regex

_JOINERS = frozenset("\u200c\u200d")
_PRESENTATION_SELECTORS = frozenset("\ufe0e\ufe0f")
_JOINABLE = ("L", "M", "N", "So", "Sk")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_DEFAULT_IGNORABLE = regex.compile(r"\p{Default_Ignorable_Code_Point}")
_MULTI_LINE_CONTROLS = frozenset("\t\n")

NOT_UNICODE = "Must be valid Unicode text."
NUL = "Must not contain NUL characters."
HIDDEN = "Must not contain control, separator or invisible characters."
CONTROL = "Must not contain control characters other than tab and line breaks."


class InvalidText(ValueError):
    """The text holds a character the field refuses; the message says which kind."""


def storable(text: str) -> str:
    """The text as given, or InvalidText when it holds NUL or a lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidText(NOT_UNICODE) from None
    if "\x00" in text:
        raise InvalidText(NUL)
    return text


def single_line(text: str) -> str:
    """The text NFC-normalised and trimmed, or InvalidText when something in it does not show."""
    line = unicodedata.normalize("NFC", storable(text)).strip()
    if any(is_hidden(line, index) for index in range(len(line))):
        raise InvalidText(HIDDEN)
    return line


def multi_line(text: str) -> str:
    """The text as sent, or InvalidText when it holds a control other than tab, LF and CRLF."""
    storable(text)
    for index, char in enumerate(text):
        if char == "\r" and text[index + 1 : index + 2] == "\n":
            continue
        if char not in _MULTI_LINE_CONTROLS and unicodedata.category(char) == "Cc":
            raise InvalidText(CONTROL)
    return text


def is_hidden(text: str, index: int) -> bool:
    """Whether the character at `index` of one line of text would not show as it reads."""
    char = text[index]
    if char in _JOINERS:
        return not (0 < index < len(text) - 1 and _joinable(text[index - 1]) and _joinable(text[index + 1]))
    if char in _PRESENTATION_SELECTORS:
        return not (index > 0 and unicodedata.category(text[index - 1]) == "So")
    return unicodedata.category(char) in _REFUSED_CATEGORIES or bool(_DEFAULT_IGNORABLE.match(char))


def _joinable(char: str) -> bool:
    return unicodedata.category(char).startswith(_JOINABLE)
