"""The audit trail endpoint: HTTP only; reading rules live in AuditService."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.audit.repository import AuditFilter
from app.audit.schemas import AuditPageSchema, AuditQuerySchema
from app.composition import container
from app.web.auth_guard import KEY_OR_BEARER_SECURITY, current_principal, token_or_api_key_required
from app.web.blueprint import Blueprint
from app.web.pages import NEXT_LINK, page_response
from app.web.paths import API_V1

blp = Blueprint("audit", __name__, url_prefix=f"{API_V1}/audit-events", description="Audit trail (admins)")


@blp.route("")
class AuditEvents(MethodView):
    @token_or_api_key_required("audit:read")
    @blp.doc(operationId="listAuditEvents", security=KEY_OR_BEARER_SECURITY)
    @blp.arguments(AuditQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, AuditPageSchema, headers=NEXT_LINK)
    @blp.alt_response(401, description="Missing, invalid or revoked token; `invalid_api_key`")
    @blp.alt_response(
        403, description="Admins only; `insufficient_scope` for an API key without `audit:read`"
    )
    @blp.alt_response(422, description="Bad limit, cursor, event, user id or time range")
    def get(self, **query: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Audit events, newest first (admins only)."""
        where = AuditFilter(
            event=query.get("event"),
            user_id=query.get("user_id"),
            since=query.get("since"),
            until=query.get("until"),
        )
        page = (
            container()
            .audit_service()
            .list(current_principal(), limit=query["limit"], after=query.get("cursor"), where=where)
        )
        public_base_url = container().settings.public_base_url
        return page_response(page, "audit.AuditEvents", query, public_base_url=public_base_url)
