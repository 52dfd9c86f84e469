"""The published key set and the authorization server metadata, as other services read them."""

import marshmallow as ma


class JwkSchema(ma.Schema):
    kty = ma.fields.String(required=True, metadata={"description": "`OKP` (Ed25519) or `EC` (P-256)"})
    crv = ma.fields.String(required=True, metadata={"example": "Ed25519"})
    x = ma.fields.String(required=True, metadata={"description": "The public key (base64url)"})
    y = ma.fields.String(metadata={"description": "`EC` keys only: the public key's y coordinate"})
    kid = ma.fields.String(
        required=True, metadata={"description": "RFC 7638 thumbprint; access tokens name it in `kid`"}
    )
    alg = ma.fields.String(required=True, metadata={"example": "EdDSA"})
    use = ma.fields.String(required=True, metadata={"example": "sig"})


class JwksSchema(ma.Schema):
    keys = ma.fields.List(
        ma.fields.Nested(JwkSchema),
        required=True,
        metadata={"description": "The next, active and retiring public keys, newest first"},
    )


class AuthorizationServerSchema(ma.Schema):
    issuer = ma.fields.String(
        required=True,
        metadata={"description": "The `iss` of access tokens", "example": "https://keel.example"},
    )
    jwks_uri = ma.fields.String(
        required=True, metadata={"example": "https://keel.example/.well-known/jwks.json"}
    )
