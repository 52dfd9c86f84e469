"""The TOTP window (one step of drift either side, no more) against codes from a real pyotp.TOTP at
frozen times, recovery codes and their keyed hashes, and the encryption of secrets at rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from cryptography.fernet import Fernet

from app.auth.otp import RecoveryCodes, matching_step, new_secret, provisioning_uri
from app.persistence.encryption import FernetSecretBox, derived_key

NOW = datetime(2026, 12, 7, 7, 0, 15, tzinfo=UTC)
STEP = timedelta(seconds=30)


@pytest.mark.parametrize("steps", [-1, 0, 1])
def test_a_code_of_the_current_step_or_one_either_side_matches_its_own_step(steps: int) -> None:
    secret = new_secret()
    totp = pyotp.TOTP(secret)
    code = totp.at(NOW + steps * STEP)

    assert matching_step(secret, code, now=NOW) == totp.timecode(NOW) + steps


@pytest.mark.parametrize("steps", [-3, -2, 2, 3])
def test_a_code_two_steps_away_or_more_is_refused(steps: int) -> None:
    secret = new_secret()
    code = pyotp.TOTP(secret).at(NOW + steps * STEP)

    assert matching_step(secret, code, now=NOW) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 345"])
def test_anything_but_six_digits_is_no_code(code: str) -> None:
    assert matching_step(new_secret(), code, now=NOW) is None


def test_the_secret_has_160_bits_and_the_uri_names_issuer_and_account() -> None:
    secret = new_secret()

    assert len(secret) == 32
    uri = provisioning_uri(secret, account="ada@example.com", issuer="Keel")
    assert uri == f"otpauth://totp/Keel:ada%40example.com?secret={secret}&issuer=Keel"


def test_recovery_codes_are_distinct_and_hash_the_same_however_typed() -> None:
    codes = RecoveryCodes("k" * 48)
    generated = codes.generate()

    assert len(set(generated)) == 10
    first = generated[0]
    assert codes.hash(first) == codes.hash(first.upper().replace("-", " ")) is not None
    assert codes.hash("not-a-code") is None


def test_recovery_code_hashes_are_keyed() -> None:
    code = RecoveryCodes.generate(1)[0]

    assert RecoveryCodes("k" * 48).hash(code) != RecoveryCodes("j" * 48).hash(code)


def test_old_ciphertext_still_decrypts_after_a_key_rotation() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = FernetSecretBox([old]).encrypt("JBSWY3DPEHPK3PXP")

    rotated = FernetSecretBox([new, old])

    assert rotated.decrypt(stored) == "JBSWY3DPEHPK3PXP"
    # The first key encrypts: what the rotated box writes, the new key alone reads.
    assert FernetSecretBox([new]).decrypt(rotated.encrypt("secret")) == "secret"
    with pytest.raises(ValueError, match="no configured key"):
        FernetSecretBox([new]).decrypt(stored)


def test_a_derived_key_is_a_stable_fernet_key_of_its_signing_key() -> None:
    key = derived_key("s" * 48)

    assert key == derived_key("s" * 48) != derived_key("t" * 48)
    assert FernetSecretBox([key]).decrypt(FernetSecretBox([key]).encrypt("x")) == "x"
