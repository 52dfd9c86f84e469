"""Access-token signing keys: stored encrypted, rotated without a cut-over, published as a JWKS."""
