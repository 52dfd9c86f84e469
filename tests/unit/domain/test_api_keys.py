"""The API key format: what leak scanners match and check offline, and what Keel stores instead."""

from __future__ import annotations

import re
import zlib

from app.domain.api_keys import PATTERN, ApiKeyHasher, display_prefix, new_key, well_formed

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def decode62(text: str) -> int:
    value = 0
    for character in text:
        value = value * 62 + ALPHABET.index(character)
    return value


def test_a_key_is_the_prefix_32_random_bytes_and_their_crc32() -> None:
    keys = {new_key() for _ in range(200)}

    assert len(keys) == 200
    for key in keys:
        assert re.fullmatch(PATTERN, key)
        assert well_formed(key)
        body = key[5:-6]
        assert decode62(body) < 2**256
        assert decode62(key[-6:]) == zlib.crc32(body.encode())
    # Over 200 keys, the leading characters are not fixed: the body spans the whole 256-bit range.
    assert len({key[5] for key in keys}) > 1


def test_a_changed_character_or_length_is_not_well_formed() -> None:
    key = new_key()
    swapped = key[:10] + ("A" if key[10] != "A" else "B") + key[11:]

    assert not well_formed(swapped)
    assert not well_formed(key[:-1])
    assert not well_formed(key + "0")
    assert not well_formed("keel_")
    assert not well_formed("")
    assert not well_formed("Keel_" + key[5:])


def test_the_stored_hash_is_keyed_and_the_prefix_is_short() -> None:
    key = new_key()

    digest = ApiKeyHasher("one secret of at least thirty-two bytes").digest(key)

    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest != ApiKeyHasher("another secret of at least thirty-two b").digest(key)
    assert digest == ApiKeyHasher("one secret of at least thirty-two bytes").digest(key)
    assert display_prefix(key) == key[:9]
