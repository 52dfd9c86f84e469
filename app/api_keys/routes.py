"""API key endpoints: HTTP only (headers, status codes, links); the rules live in ApiKeyService.

Each is for a signed-in user only: an API key never creates, lists or revokes keys.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response
from flask.views import MethodView

from app.api_keys.schemas import (
    ApiKeyCreateSchema,
    ApiKeyListQuerySchema,
    ApiKeyPageSchema,
    CreatedApiKeySchema,
)
from app.api_keys.service import NewApiKey
from app.composition import container
from app.web.auth_guard import API_KEY_REFUSED, BEARER_SECURITY, access_token_required, current_principal
from app.web.blueprint import Blueprint
from app.web.pages import NEXT_LINK, page_response
from app.web.paths import API_V1
from app.web.rate_limits import rate_limit

blp = Blueprint("api_keys", __name__, url_prefix=f"{API_V1}/api-keys", description="API keys")


@blp.route("")
class ApiKeys(MethodView):
    @access_token_required
    @blp.doc(operationId="listApiKeys", security=BEARER_SECURITY)
    @blp.arguments(ApiKeyListQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ApiKeyPageSchema, headers=NEXT_LINK)
    @blp.alt_response(401, description="Missing, invalid or revoked token; `invalid_api_key`")
    @blp.alt_response(403, description=API_KEY_REFUSED)
    @blp.alt_response(422, description="Bad limit or cursor")
    def get(self, **query: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
        """List your API keys, newest first (never the keys themselves)."""
        page = (
            container()
            .api_key_service()
            .list(current_principal(), limit=query["limit"], after=query.get("cursor"))
        )
        return page_response(
            page, "api_keys.ApiKeys", query, public_base_url=container().settings.public_base_url
        )

    @rate_limit(lambda limits: limits.ratelimit_api_keys)
    @access_token_required
    @blp.doc(operationId="createApiKey", security=BEARER_SECURITY)
    @blp.arguments(
        ApiKeyCreateSchema,
        example={"name": "nightly export", "scopes": ["users:read"], "expires_at": "2027-06-30T00:00:00Z"},
    )
    @blp.response(201, CreatedApiKeySchema)
    @blp.alt_response(401, description="Missing, invalid or revoked token; `invalid_api_key`")
    @blp.alt_response(
        403,
        description="`reauthentication_required`: no sign-in within REAUTH_MAX_AGE_SECONDS "
        f"(POST /auth/reauthenticate first); {API_KEY_REFUSED}",
    )
    @blp.alt_response(409, description="`api_key_limit_reached`: 25 live keys already")
    @blp.alt_response(422, description="No name, no scope, an unknown scope, or a past `expires_at`")
    @blp.alt_response(429, description="`rate_limited`: too many API keys created")
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Create an API key acting as you within its scopes; the key is in this response only."""
        created = container().api_key_service().create(current_principal(), NewApiKey(**body))
        api_key = created.api_key
        return {
            "id": api_key.id,
            "name": api_key.name,
            "prefix": api_key.prefix,
            "scope_list": api_key.scope_list,
            "created_at": api_key.created_at,
            "expires_at": api_key.expires_at,
            "last_used_at": api_key.last_used_at,
            "key": created.key,
        }, 201


@blp.route("/<uuid:api_key_id>")
class ApiKeyById(MethodView):
    @access_token_required
    @blp.doc(operationId="revokeApiKey", security=BEARER_SECURITY)
    @blp.response(204)
    @blp.alt_response(401, description="Missing, invalid or revoked token; `invalid_api_key`")
    @blp.alt_response(403, description=API_KEY_REFUSED)
    @blp.alt_response(404, description="No such key of yours (admins: no such key)")
    def delete(self, api_key_id: uuid.UUID) -> Response:
        """Revoke an API key (yours, or anyone's as an admin): it stops working at once."""
        container().api_key_service().revoke(current_principal(), api_key_id)
        return Response(status=204)
