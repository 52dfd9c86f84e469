"""One spelling per client address, and the key a per-address limit counts."""

from __future__ import annotations

import pytest

from app.domain.clients import USER_AGENT_MAX_LENGTH, Client, limit_key, normalised_address, stored_user_agent


@pytest.mark.parametrize(
    ("value", "normal"),
    [
        ("198.51.100.7", "198.51.100.7"),
        (" 198.51.100.7 ", "198.51.100.7"),
        ("198.51.100.7:8080", "198.51.100.7"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("::FFFF:c633:6407", "198.51.100.7"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("::1", "::1"),
    ],
)
def test_an_address_has_one_normal_form(value: str, normal: str) -> None:
    assert normalised_address(value) == normal


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "unknown",
        "<script>",
        "198.51.100.7.1",
        "0198.51.100.7",
        "2001:db8::1::2",
        "1" * 46,
        "x" * 10_000,
    ],
)
def test_anything_else_is_no_address(value: str | None) -> None:
    assert normalised_address(value) is None


def test_every_normal_form_fits_the_address_columns() -> None:
    longest = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%a-very-long-zone-name-indeed"
    normal = normalised_address(longest)
    assert normal is not None
    assert len(normal) <= 45


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("unknown", "unknown"),
    ],
)
def test_a_limit_counts_an_ipv4_address_or_an_ipv6_64(address: str, key: str) -> None:
    assert limit_key(address) == key


def test_a_client_keeps_only_a_normalised_address() -> None:
    assert Client.of("<script>", "Agent/1.0") == Client(address=None, user_agent="Agent/1.0")
    assert Client.of("::ffff:192.0.2.1", None) == Client(address="192.0.2.1", user_agent=None)


def test_a_stored_user_agent_shows_each_control_character_as_a_replacement() -> None:
    assert stored_user_agent("Agent\x00/1.0\x1b[31m\x85") == "Agent\ufffd/1.0\ufffd[31m\ufffd"
    assert stored_user_agent("Mozilla/5.0 (X11; Linux)") == "Mozilla/5.0 (X11; Linux)"
    assert stored_user_agent("") is None
    assert stored_user_agent(None) is None
    assert Client.of(None, "a" * 300 + "\x00").user_agent == "a" * USER_AGENT_MAX_LENGTH
