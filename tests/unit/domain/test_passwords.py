import pytest

from app.domain.passwords import Argon2PasswordHasher, common_passwords, is_common

PASSWORD = "Quiet-Harbour-Lantern-42"


def tiny_hasher(time_cost: int = 1) -> Argon2PasswordHasher:
    return Argon2PasswordHasher(time_cost=time_cost, memory_kib=8, parallelism=1)


@pytest.fixture(scope="module")
def hasher() -> Argon2PasswordHasher:
    return tiny_hasher()


def test_argon2_hash_is_argon2id_and_hides_the_password(hasher: Argon2PasswordHasher) -> None:
    password_hash = hasher.hash(PASSWORD)
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash


def test_argon2_hash_is_salted(hasher: Argon2PasswordHasher) -> None:
    assert hasher.hash(PASSWORD) != hasher.hash(PASSWORD)


def test_argon2_verify_accepts_the_right_password(hasher: Argon2PasswordHasher) -> None:
    assert hasher.verify(hasher.hash(PASSWORD), PASSWORD) is True


def test_argon2_verify_rejects_a_wrong_password(hasher: Argon2PasswordHasher) -> None:
    assert hasher.verify(hasher.hash(PASSWORD), PASSWORD + "x") is False


@pytest.mark.parametrize("bad_hash", ["", "not-a-hash", "$argon2id$v=19$m=8,t=1,p=1$broken"])
def test_argon2_verify_returns_false_for_invalid_hash(hasher: Argon2PasswordHasher, bad_hash: str) -> None:
    assert hasher.verify(bad_hash, PASSWORD) is False


def test_argon2_needs_rehash_is_false_for_current_params(hasher: Argon2PasswordHasher) -> None:
    assert hasher.needs_rehash(hasher.hash(PASSWORD)) is False


def test_argon2_needs_rehash_when_params_change(hasher: Argon2PasswordHasher) -> None:
    assert tiny_hasher(time_cost=2).needs_rehash(hasher.hash(PASSWORD)) is True


def test_argon2_verify_accepts_hash_made_with_old_params(hasher: Argon2PasswordHasher) -> None:
    assert tiny_hasher(time_cost=2).verify(hasher.hash(PASSWORD), PASSWORD) is True


def test_argon2_burn_does_not_raise_for_any_password(hasher: Argon2PasswordHasher) -> None:
    hasher.burn(PASSWORD)
    hasher.burn("")


@pytest.mark.parametrize("password", ["password123", "123456", "qwerty", "letmein", "iloveyou"])
def test_is_common_detects_listed_passwords(password: str) -> None:
    assert is_common(password)


@pytest.mark.parametrize("password", ["Password123", "PASSWORD123", "LetMeIn"])
def test_is_common_ignores_case(password: str) -> None:
    assert is_common(password)


def test_is_common_accepts_an_unlisted_password() -> None:
    assert not is_common(PASSWORD)


def test_common_passwords_ships_at_least_ten_thousand_entries() -> None:
    assert len(common_passwords()) >= 10_000


def test_common_passwords_skips_comments_and_blank_lines() -> None:
    entries = common_passwords()
    assert "" not in entries
    assert not any(entry.startswith("#") for entry in entries)


def test_common_passwords_are_all_lower_case() -> None:
    assert all(entry == entry.lower() for entry in common_passwords())
