"""The key set each process holds: read again once JWT_KEY_CACHE_SECONDS have passed, so a rotation
or revocation made by another instance reaches this one within that time; never a private member out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from app.domain.signing_keys import KeyTimes
from app.keys import material
from app.keys.keyset import KeySet, StoredKey
from app.persistence.encryption import FernetSecretBox, derived_key

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
BOX = FernetSecretBox([derived_key("a-test-secret-of-at-least-32-bytes-long")])


def stored(*, revoked: bool = False) -> StoredKey:
    new = material.generate("EdDSA")
    times = KeyTimes(
        kid=new.kid,
        algorithm="EdDSA",
        created_at=NOW - timedelta(hours=1),
        activates_at=NOW - timedelta(hours=1),
        retires_at=None,
        revoked_at=NOW if revoked else None,
    )
    return StoredKey(times, new.public_jwk, BOX.encrypt(new.private_pem))


class Database:
    def __init__(self, *keys: StoredKey) -> None:
        self.keys = list(keys)
        self.reads = 0

    def load(self) -> list[StoredKey]:
        self.reads += 1
        return list(self.keys)


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_set_is_read_again_only_after_the_cache_lifetime() -> None:
    key = stored()
    database, monotonic = Database(key), Monotonic()
    keys = KeySet(database.load, box=BOX, max_age_seconds=10, monotonic=monotonic)
    assert keys.verification_key(key.times.kid, NOW) is not None

    database.keys = [stored(revoked=True)]  # another instance revoked and replaced it
    monotonic.now += 9.9
    assert keys.verification_key(key.times.kid, NOW) is not None
    assert database.reads == 1
    monotonic.now += 0.1
    assert keys.verification_key(key.times.kid, NOW) is None
    assert database.reads == 2


def test_invalidate_reads_the_set_on_the_next_use() -> None:
    database = Database(stored())
    keys = KeySet(database.load, box=BOX, max_age_seconds=10, monotonic=Monotonic())
    keys.jwks(NOW)

    keys.invalidate()
    keys.jwks(NOW)

    assert database.reads == 2


def test_the_signer_holds_the_decrypted_key_and_the_jwks_only_public_members() -> None:
    key = stored()
    keys = KeySet(Database(key).load, box=BOX, max_age_seconds=10)

    signer = keys.signer(NOW)

    assert signer is not None
    assert signer.kid == key.times.kid
    [published] = keys.jwks(NOW)["keys"]
    assert set(published) == {"kty", "crv", "x", "kid", "alg", "use"}
    # Even a stored JWK that held a private member would not publish it.
    leaky = StoredKey(key.times, json.dumps({**json.loads(key.public_jwk), "d": "secret"}), "")
    assert "d" not in KeySet(Database(leaky).load, box=BOX, max_age_seconds=0).jwks(NOW)["keys"][0]


def test_a_key_no_configured_encryption_key_decrypts_signs_nothing() -> None:
    other_box = FernetSecretBox([derived_key("another-test-secret-of-at-least-32-bytes")])
    keys = KeySet(Database(stored()).load, box=other_box, max_age_seconds=10)

    assert keys.signer(NOW) is None


def test_a_kid_not_yet_read_reads_the_set_again_at_once() -> None:
    """`keys rotate --now` elsewhere: another process signs with the new key at once, and this one
    must accept its tokens before its own copy of the set has aged out."""
    old = stored()
    database, monotonic = Database(old), Monotonic()
    keys = KeySet(database.load, box=BOX, max_age_seconds=10, monotonic=monotonic)
    assert keys.verification_key(old.times.kid, NOW) is not None

    new = stored()
    database.keys.append(new)

    assert keys.verification_key(new.times.kid, NOW) is not None
    assert database.reads == 2
    assert keys.verification_key(old.times.kid, NOW) is not None
    assert database.reads == 2  # a known kid is served from the copy


def test_a_kid_the_database_does_not_hold_either_is_refused() -> None:
    database = Database(stored())
    keys = KeySet(database.load, box=BOX, max_age_seconds=10, monotonic=Monotonic())
    keys.jwks(NOW)

    assert keys.verification_key("no-such-kid", NOW) is None
    assert database.reads == 2


def test_made_up_kids_read_the_set_at_most_once_a_tenth_of_a_second() -> None:
    """An unknown kid costs no signature check, so a flood of them must not cost a query each."""
    database, monotonic = Database(stored()), Monotonic()
    keys = KeySet(database.load, box=BOX, max_age_seconds=10, monotonic=monotonic)
    keys.jwks(NOW)

    for attempt in range(50):
        assert keys.verification_key(f"made-up-{attempt}", NOW) is None
    assert database.reads == 2
    monotonic.now += 0.11
    new = stored()
    database.keys.append(new)
    assert keys.verification_key(new.times.kid, NOW) is not None
    assert database.reads == 3
