"""What a person's display name may hold: single-line text (app.domain.text) that reads as a name.

On top of the single-line rules (NFC, trimmed, nothing hidden: control, format, surrogate,
private-use and unassigned characters, line and paragraph separators, default-ignorable code points
outside their two exceptions), a name refuses runs of more than MAX_MARK_RUN combining marks
("Zalgo" text that spills over the lines around it) and names without a single letter or digit.
NFC comes first, so a precomposed and a decomposed "é" are the same name and count the same marks.
"""

from __future__ import annotations

import unicodedata

from app.domain.text import InvalidText, single_line

MAX_MARK_RUN = 4


class InvalidName(InvalidText):
    """The name holds something that does not show as it reads; the message says what."""


def clean_name(text: str) -> str:
    """The name NFC-normalised and trimmed, or InvalidName."""
    try:
        name = single_line(text)
    except InvalidText as error:
        raise InvalidName(str(error)) from None
    if _longest_mark_run(name) > MAX_MARK_RUN:
        raise InvalidName(f"Must not stack more than {MAX_MARK_RUN} combining marks on one character.")
    if name and not any(unicodedata.category(char)[0] in "LN" for char in name):
        raise InvalidName("Must contain at least one letter or digit.")
    return name


def _longest_mark_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if unicodedata.category(char).startswith("M") else 0
        longest = max(longest, run)
    return longest
