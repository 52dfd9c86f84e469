"""bench/token_verify.py runs: a few verifies per algorithm, so the script cannot rot. No timing is
asserted (docs/benchmarks.md holds the figures)."""

from __future__ import annotations

import jwt
import pytest

from bench import token_verify


def test_each_algorithm_verifies_a_keel_access_token_and_reports_a_figure() -> None:
    figures = token_verify.measure(iterations=3, runs=2)

    assert set(figures) == {"EdDSA", "ES256", "HS256"}
    assert all(value > 0 for value in figures.values())
    assert "x HS256" in token_verify.report(figures)


@pytest.mark.parametrize("algorithm", token_verify.ALGORITHMS)
def test_the_timed_verify_checks_the_signature(algorithm: str) -> None:
    made = token_verify.token(algorithm)
    assert token_verify.verify(made)["type"] == "access"

    other = token_verify.token(algorithm)  # signed with another key of the same algorithm
    forged = token_verify.Token(algorithm, other.encoded, made.key)
    with pytest.raises(jwt.InvalidSignatureError):
        token_verify.verify(forged)
