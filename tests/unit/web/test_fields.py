import marshmallow as ma
import pytest

from app.web.fields import DisplayName, Password, StrictBoolean, TrimmedEmail


def test_trimmed_email_trims_whitespace() -> None:
    assert TrimmedEmail().deserialize("  ann@example.com \t\n") == "ann@example.com"


def test_trimmed_email_keeps_case() -> None:
    assert TrimmedEmail().deserialize("Ann@Example.COM") == "Ann@Example.COM"


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
