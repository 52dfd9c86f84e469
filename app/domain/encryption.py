"""The port for data encrypted at rest: what a service hands the database is never the plaintext."""

from __future__ import annotations

from typing import Protocol


class SecretBox(Protocol):
    def encrypt(self, plaintext: str) -> str:
        """An authenticated ciphertext of `plaintext`, under the current key."""
        ...

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext, under whichever configured key encrypted it; ValueError if none did."""
        ...
