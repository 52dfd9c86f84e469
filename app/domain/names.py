"""What a person's display name may hold: text that shows as it reads, with nothing hidden in it.

Refused: control, format, surrogate, private-use and unassigned characters; line and paragraph
separators; Unicode's Default_Ignorable_Code_Point characters (zero-width spaces, invisible
operators, variation selectors, tag characters: things that render as nothing); runs of more than
MAX_MARK_RUN combining marks ("Zalgo" text that spills over the lines around it); and names
without a single letter or digit. The name is NFC-normalised first, so a precomposed and a
decomposed "é" are the same name and count the same marks.

Default_Ignorable_Code_Point is a derived property (DerivedCoreProperties.txt) that the standard
library's unicodedata does not expose; the `regex` package, maintained and updated with each
Unicode release, answers `\\p{Default_Ignorable_Code_Point}` from that same data, so no copy of the
ranges lives here to go stale.

Two exceptions keep real names and emoji working: ZWNJ and ZWJ between two visible characters
(they shape Persian, Arabic and Indic letters and build emoji sequences), and the emoji
presentation selectors right after a symbol ("❤️" is U+2764 U+FE0F).
"""

from __future__ import annotations

import unicodedata

import regex

MAX_MARK_RUN = 4

_JOINERS = frozenset("\u200c\u200d")
_PRESENTATION_SELECTORS = frozenset("\ufe0e\ufe0f")
_JOINABLE = ("L", "M", "N", "So", "Sk")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_DEFAULT_IGNORABLE = regex.compile(r"\p{Default_Ignorable_Code_Point}")


class InvalidName(ValueError):
    """The name holds something that does not show as it reads; the message says what."""


def clean_name(text: str) -> str:
    """The name NFC-normalised and trimmed, or InvalidName."""
    name = unicodedata.normalize("NFC", text).strip()
    if any(_is_hidden(name, index) for index in range(len(name))):
        raise InvalidName("Must not contain control, separator or invisible characters.")
    if _longest_mark_run(name) > MAX_MARK_RUN:
        raise InvalidName(f"Must not stack more than {MAX_MARK_RUN} combining marks on one character.")
    if name and not any(unicodedata.category(char)[0] in "LN" for char in name):
        raise InvalidName("Must contain at least one letter or digit.")
    return name


def _is_hidden(text: str, index: int) -> bool:
    char = text[index]
    if char in _JOINERS:
        return not (0 < index < len(text) - 1 and _joinable(text[index - 1]) and _joinable(text[index + 1]))
    if char in _PRESENTATION_SELECTORS:
        return not (index > 0 and unicodedata.category(text[index - 1]) == "So")
    return unicodedata.category(char) in _REFUSED_CATEGORIES or bool(_DEFAULT_IGNORABLE.match(char))


def _joinable(char: str) -> bool:
    return unicodedata.category(char).startswith(_JOINABLE)


def _longest_mark_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if unicodedata.category(char).startswith("M") else 0
        longest = max(longest, run)
    return longest
