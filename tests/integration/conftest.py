"""Fixtures shared by the integration tests."""

from tests.contracts import owned, store

__all__ = ["owned", "store"]
