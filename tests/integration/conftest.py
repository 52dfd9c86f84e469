"""Fixtures shared by the integration tests."""

from tests.contracts import store

__all__ = ["store"]
