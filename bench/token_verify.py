"""The CPU cost of verifying one Keel access token: EdDSA (Ed25519, the default), ES256 and the
HS256 tokens Keel issued before signing keys: `.venv/bin/python bench/token_verify.py`.

Each token carries the claims `JwtTokenIssuer.issue_access` signs, keys come from the code that makes
Keel's signing keys (app/keys/material.py), and each verify is the `jwt.decode` Keel runs per
request (pinned algorithm, `iss`, `aud`, required claims). Reports the median over several runs of
microseconds per verify, and each algorithm's ratio to HS256 (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.keys import material  # noqa: E402

ALGORITHMS = ("EdDSA", "ES256", "HS256")
ISSUER = "https://keel.example.com"
AUDIENCE = "keel"
REQUIRED = ["iss", "aud", "exp", "iat", "sub", "jti"]


@dataclass(frozen=True)
class Token:
    algorithm: str
    encoded: str
    key: Any


def access_claims(now: int) -> dict[str, Any]:
    """What an access token from JwtTokenIssuer.issue_access carries."""
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "jti": str(uuid.uuid4()),
        "type": "access",
        "fresh": False,
        "auth_time": now,
        "amr": ["pwd"],
    }


def token(algorithm: str) -> Token:
    claims = access_claims(int(time.time()))
    if algorithm == "HS256":
        secret = secrets.token_urlsafe(40)
        return Token(algorithm, jwt.encode(claims, secret, algorithm="HS256"), secret)
    made = material.generate(algorithm)
    signed = jwt.encode(
        claims, material.signing_key(made.private_pem), algorithm=algorithm, headers={"kid": made.kid}
    )
    return Token(algorithm, signed, material.verification_key(made.public_jwk))


def verify(made: Token) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        made.encoded,
        made.key,
        algorithms=[made.algorithm],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"require": REQUIRED},
    )
    return claims


def microseconds_per_verify(made: Token, iterations: int) -> float:
    started = time.perf_counter_ns()
    for _ in range(iterations):
        verify(made)
    return (time.perf_counter_ns() - started) / iterations / 1000


def measure(*, iterations: int = 5000, runs: int = 7) -> dict[str, float]:
    """The median over `runs` of microseconds per verify, per algorithm; runs interleave the
    algorithms so that a burst of other load on the machine falls on all of them alike."""
    tokens = [token(algorithm) for algorithm in ALGORITHMS]
    for made in tokens:
        verify(made)  # warm-up: imports, key objects, caches
    samples: dict[str, list[float]] = {made.algorithm: [] for made in tokens}
    for _ in range(runs):
        for made in tokens:
            samples[made.algorithm].append(microseconds_per_verify(made, iterations))
    return {algorithm: statistics.median(values) for algorithm, values in samples.items()}


def report(figures: dict[str, float]) -> str:
    base = figures["HS256"]
    lines = [f"{'algorithm':<9}  {'us/verify':>10}  {'x HS256':>8}"]
    lines += [f"{name:<9}  {value:>10.1f}  {value / base:>8.1f}" for name, value in figures.items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=5000, help="verifies per run and algorithm")
    parser.add_argument("--runs", type=int, default=7, help="runs per algorithm; the median is reported")
    arguments = parser.parse_args()
    print(report(measure(iterations=arguments.iterations, runs=arguments.runs)))


if __name__ == "__main__":
    main()
