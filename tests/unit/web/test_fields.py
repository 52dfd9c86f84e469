import unicodedata

import marshmallow as ma
import pytest

from app.web.fields import (
    DisplayName,
    MultiLineText,
    Password,
    SingleLineText,
    StrictBoolean,
    TrimmedEmail,
)


def test_trimmed_email_trims_whitespace() -> None:
    assert TrimmedEmail().deserialize("  ann@example.com \t\n") == "ann@example.com"


def test_trimmed_email_keeps_the_case_of_the_name_and_lowers_the_domain() -> None:
    assert TrimmedEmail().deserialize("Ann@Example.COM") == "Ann@example.com"


@pytest.mark.parametrize("value", ["not-an-email", "   ", "ann@", 42])
def test_trimmed_email_rejects_invalid_values(value: object) -> None:
    with pytest.raises(ma.ValidationError):
        TrimmedEmail().deserialize(value)


def test_trimmed_email_rejects_addresses_over_254_characters() -> None:
    with pytest.raises(ma.ValidationError):
        TrimmedEmail().deserialize("a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".com")


def test_display_name_trims_whitespace() -> None:
    assert DisplayName().deserialize("  Ann Lee  ") == "Ann Lee"


def test_display_name_keeps_non_ascii_letters() -> None:
    assert DisplayName().deserialize("Zoë Ångström 李") == "Zoë Ångström 李"


@pytest.mark.parametrize("value", ["Ann\nLee", "Ann\x00", "A\x07nn", "Ann\x7fLee", "Ann\u0085Lee"])
def test_display_name_rejects_control_characters(value: str) -> None:
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize(value)


@pytest.mark.parametrize("override", ["\u202e", "\u202d", "\u202a", "\u2066", "\u2067", "\u2068", "\u2069"])
def test_display_name_rejects_bidi_overrides(override: str) -> None:
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize(f"Ann{override}eeL")


def test_display_name_rejects_private_use_characters() -> None:
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize("Ann\ue000")


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_display_name_rejects_blank_values(value: str) -> None:
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize(value)


def test_display_name_accepts_one_hundred_characters() -> None:
    assert DisplayName().deserialize("x" * 100) == "x" * 100


def test_display_name_rejects_over_one_hundred_characters() -> None:
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize("x" * 101)


def test_display_name_measures_length_after_trimming() -> None:
    assert DisplayName().deserialize("  " + "x" * 100 + "  ") == "x" * 100


def test_display_name_rejects_non_strings() -> None:
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize(42)


@pytest.mark.parametrize("value", [True, False])
def test_strict_boolean_accepts_json_booleans(value: bool) -> None:
    assert StrictBoolean().deserialize(value) is value


@pytest.mark.parametrize("value", [1, 0, "true", "false", "yes", "1", None])
def test_strict_boolean_rejects_non_booleans(value: object) -> None:
    with pytest.raises(ma.ValidationError):
        StrictBoolean().deserialize(value)


@pytest.mark.parametrize("value", ["short12", "x" * 129])
def test_password_field_rejects_lengths_outside_8_to_128(value: str) -> None:
    with pytest.raises(ma.ValidationError):
        Password().deserialize(value)


@pytest.mark.parametrize("value", ["x" * 8, "x" * 128])
def test_password_field_accepts_lengths_8_to_128(value: str) -> None:
    assert Password().deserialize(value) == value


def test_password_field_is_never_dumped() -> None:
    class Schema(ma.Schema):
        password = Password()

    assert Schema().dump({"password": "Quiet-Harbour-Lantern-42"}) == {}


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u2060", "\u00ad", "\ufeff", "\u180e", "\u2061", "\U000e0001"],
    ids=[
        "zero-width-space",
        "word-joiner",
        "soft-hyphen",
        "bom",
        "mongolian-vowel-separator",
        "function-application",
        "tag",
    ],
)
def test_display_name_rejects_invisible_format_characters(invisible: str) -> None:
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize(f"Ann{invisible}Lee")


@pytest.mark.parametrize(
    "name", ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "Ann \U0001f469\u200d\U0001f4bb"]
)
def test_display_name_keeps_joiners_between_visible_characters(name: str) -> None:
    assert DisplayName().deserialize(name) == name


@pytest.mark.parametrize("name", ["\u200cAnn", "Ann\u200d", "Ann \u200c Lee"])
def test_display_name_rejects_joiners_that_join_nothing(name: str) -> None:
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize(name)


@pytest.mark.parametrize(
    "value",
    ['"hank"@example.com', '"h\\ank"@example.com', "user@[10.0.0.5]", "user@[IPv6:::1]", "user@10.0.0.5"],
)
def test_trimmed_email_refuses_quoted_names_and_address_literals(value: str) -> None:
    with pytest.raises(ma.ValidationError):
        TrimmedEmail().deserialize(value)


def test_trimmed_email_gives_the_domain_in_its_idna_ascii_form() -> None:
    assert TrimmedEmail().deserialize("ann@\u00c4BC.example") == "ann@xn--bc-uia.example"
    assert TrimmedEmail().deserialize("ann@xn--bc-uia.example") == "ann@xn--bc-uia.example"


@pytest.mark.parametrize("value", ["ann@exa_mple.com", "ann@-example.com", "ann@example..com", "ann@example"])
def test_trimmed_email_refuses_domains_that_do_not_normalise(value: str) -> None:
    with pytest.raises(ma.ValidationError):
        TrimmedEmail().deserialize(value)


@pytest.mark.parametrize(
    "ignorable",
    ["\u115f", "\u3164", "\uffa0", "\u034f", "\u17b4", "\ufe00", "\U000e0100"],
    ids=[
        "hangul-choseong-filler",
        "hangul-filler",
        "halfwidth-hangul-filler",
        "combining-grapheme-joiner",
        "khmer-vowel-inherent",
        "variation-selector-1",
        "variation-selector-17",
    ],
)
def test_display_name_rejects_default_ignorable_letters_and_marks(ignorable: str) -> None:
    """Default_Ignorable code points that are letters or marks, which a category check lets through."""
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize(f"Ann{ignorable}Lee")


def test_display_name_refuses_a_name_made_of_fillers_only() -> None:
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize("\u3164\u3164")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"], ids=["line-separator", "paragraph-separator"])
def test_display_name_rejects_line_and_paragraph_separators(separator: str) -> None:
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize(f"Ann{separator}Lee")


@pytest.mark.parametrize("name", ["!!!", "...", "\u2605\u2605", "- _ -", "\U0001f600"])
def test_display_name_needs_a_letter_or_digit(name: str) -> None:
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize(name)


@pytest.mark.parametrize("name", ["R2", "\u674e\u96f7", "Ann \U0001f600", "\u2764\ufe0f Ann"])
def test_display_name_accepts_a_name_with_a_letter_or_digit(name: str) -> None:
    assert DisplayName().deserialize(name) == name


def test_display_name_rejects_zalgo_text() -> None:
    zalgo = "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u0334\u0319a\u0315\u0316lgo"
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize(zalgo)
    with pytest.raises(ma.ValidationError):
        DisplayName().deserialize("Ann" + "\u0334" * 5)


@pytest.mark.parametrize(
    "name",
    [
        "Nguy\u1ec5n",
        "\u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd",
        "\u0915\u094d\u0937\u093f",
        "Ann" + "\u0301" * 4,
    ],
    ids=["vietnamese", "hebrew-niqqud", "devanagari-conjunct", "four-marks"],
)
def test_display_name_keeps_the_combining_marks_of_real_scripts(name: str) -> None:
    assert DisplayName().deserialize(name) == unicodedata.normalize("NFC", name)


def test_display_name_is_nfc_normalised() -> None:
    assert DisplayName().deserialize("Zoe\u0308") == "Zo\u00eb"


def test_display_name_keeps_joiners_in_skin_toned_emoji_sequences() -> None:
    name = "Ann \U0001f469\U0001f3fd\u200d\U0001f4bb"
    assert DisplayName().deserialize(name) == name


def test_single_line_text_is_nfc_and_trimmed() -> None:
    assert SingleLineText().deserialize("  Cafe\u0301 au lait \t") == "Caf\u00e9 au lait"


def test_single_line_text_keeps_emoji_and_joined_scripts() -> None:
    for text in (
        "\u2764\ufe0f",
        "\U0001f469\u200d\U0001f4bb",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    ):
        assert SingleLineText().deserialize(text) == text


@pytest.mark.parametrize(
    "value",
    [
        "a\x00b",
        "a\tb",
        "a\nb",
        "a\rb",
        "a\x1b[31mb",
        "a\x7fb",
        "a\x85b",
        "a\u2028b",
        "a\u2029b",
        "a\u200bb",
        "a\u202eb",
        "a\u2060b",
        "a\ufeffb",
        "a\U000e0041b",
        "a\ue000b",
        "a" + chr(0xD800) + "b",
    ],
)
def test_single_line_text_refuses_what_does_not_show_as_it_reads(value: str) -> None:
    with pytest.raises(ma.ValidationError):
        SingleLineText().deserialize(value)


def test_multi_line_text_keeps_tabs_line_breaks_and_whitespace_as_sent() -> None:
    text = "  First line\n\tindented\r\nlast \u200f\u05e9\u05dc\u05d5\u05dd  "
    assert MultiLineText().deserialize(text) == text


@pytest.mark.parametrize(
    "value", ["a\x00b", "a\rb", "a\r", "a\x1b[31mb", "a\x7fb", "a\x85b", "a\x0bb", "a" + chr(0xDC00) + "b"]
)
def test_multi_line_text_refuses_nul_other_controls_and_lone_surrogates(value: str) -> None:
    with pytest.raises(ma.ValidationError):
        MultiLineText().deserialize(value)


@pytest.mark.parametrize("value", ["correct\x00horse", "\x00" * 8, "correct" + chr(0xD800) + "horse"])
def test_password_refuses_nul_and_lone_surrogates(value: str) -> None:
    with pytest.raises(ma.ValidationError):
        Password().deserialize(value)


def test_password_is_taken_as_sent() -> None:
    assert Password().deserialize("  spaced\tpass\u00e9  ") == "  spaced\tpass\u00e9  "


def test_display_name_builds_on_single_line_text() -> None:
    assert issubclass(DisplayName, SingleLineText)
