"""Password hashing (argon2id) and the common-password rule."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Protocol

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 128
_COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...
    def burn(self, password: str) -> None: ...


class Argon2PasswordHasher:
    """argon2id with explicit cost; a dummy hash makes unknown-email logins cost what real ones do."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = Argon2Hasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._dummy_hash = self._hasher.hash("keel-dummy-password-for-timing")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def burn(self, password: str) -> None:
        """Verify against a dummy hash so 'no such user' takes as long as 'wrong password'."""
        self.verify(self._dummy_hash, password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = _COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_common(password: str) -> bool:
    return password.lower() in common_passwords()
