"""Key material through joserfc (generation, RFC 7638 thumbprints, JWKs) and PyJWT (key objects):
no JWK or JWS code of Keel's own."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from joserfc.jwk import ECKey, OKPKey
from jwt.api_jwk import PyJWK

ALGORITHMS = ("EdDSA", "ES256")


@dataclass(frozen=True)
class NewKey:
    kid: str
    public_jwk: str
    private_pem: str


def generate(algorithm: str) -> NewKey:
    """A fresh key pair for `algorithm`; its kid is the public key's RFC 7638 thumbprint."""
    key: OKPKey | ECKey
    if algorithm == "EdDSA":
        key = OKPKey.generate_key("Ed25519")
    elif algorithm == "ES256":
        key = ECKey.generate_key("P-256")
    else:
        raise ValueError(f"unsupported signing algorithm: {algorithm}")
    kid = key.thumbprint()
    public = {**key.as_dict(private=False), "kid": kid, "alg": algorithm, "use": "sig"}
    return NewKey(
        kid=kid, public_jwk=json.dumps(public, sort_keys=True), private_pem=key.as_pem(private=True).decode()
    )


def public_jwk(stored: str) -> dict[str, Any]:
    """The published members only, whatever the stored JSON holds: a private member never leaves."""
    members: dict[str, Any] = json.loads(stored)
    return {name: members[name] for name in ("kty", "crv", "x", "y", "kid", "alg", "use") if name in members}


def verification_key(stored: str) -> Any:
    """The public key object PyJWT verifies with."""
    return PyJWK(public_jwk(stored)).key


def signing_key(private_pem: str) -> Any:
    """The private key object PyJWT signs with."""
    return serialization.load_pem_private_key(private_pem.encode(), password=None)
