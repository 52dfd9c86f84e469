"""What another service needs to verify Keel's access tokens offline: the public keys and who issues."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.composition import container
from app.keys.schemas import AuthorizationServerSchema, JwksSchema
from app.web.blueprint import Blueprint

JWKS_PATH = "/.well-known/jwks.json"
# Three of these lifetimes pass before a new key signs (JWT_KEY_ACTIVATION_SECONDS, default 900).
JWKS_MAX_AGE_SECONDS = 300

blp = Blueprint("keys", __name__, description="Keys that verify access tokens (anonymous)")


@blp.route(JWKS_PATH)
class Jwks(MethodView):
    @blp.doc(operationId="getJwks")
    @blp.response(
        200,
        JwksSchema,
        headers={"Cache-Control": {"description": "`public, max-age=300`", "schema": {"type": "string"}}},
    )
    def get(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """The public keys that verify access tokens: next, active and retiring; never a private part."""
        built = container()
        cache = f"public, max-age={JWKS_MAX_AGE_SECONDS}"
        return built.keys.jwks(built.clock()), 200, {"Cache-Control": cache}


@blp.route("/.well-known/oauth-authorization-server")
class AuthorizationServer(MethodView):
    @blp.doc(operationId="getAuthorizationServerMetadata")
    @blp.response(200, AuthorizationServerSchema)
    def get(self) -> dict[str, str]:
        """RFC 8414 metadata: the issuer access tokens name, and where its keys are published."""
        settings = container().settings
        base = (settings.public_base_url or settings.jwt_issuer).rstrip("/")
        return {"issuer": settings.jwt_issuer, "jwks_uri": f"{base}{JWKS_PATH}"}
