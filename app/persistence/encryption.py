"""Encryption at rest with Fernet (AES-128-CBC + HMAC-SHA256): the first key encrypts, every key
decrypts, so a key is rotated by putting the new one first and dropping the old one later."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_DERIVED_KEY_INFO = b"keel data encryption key v1"


class FernetSecretBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ValueError("no configured key decrypts this value") from None


def derived_key(secret: str) -> str:
    """A Fernet key derived from a signing key: for development and tests only (production names
    its own DATA_ENCRYPTION_KEYS), so a rotated signing key there would make old data unreadable."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVED_KEY_INFO).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(raw).decode()
