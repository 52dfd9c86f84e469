"""The audit trail endpoint: HTTP only; reading rules live in AuditService."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from app.audit.repository import AuditFilter
from app.audit.schemas import AuditPageSchema, AuditQuerySchema
from app.composition import container
from app.web.api import header_doc
from app.web.auth_guard import BEARER_SECURITY, access_token_required, current_principal
from app.web.blueprint import Blueprint
from app.web.paths import API_V1

blp = Blueprint("audit", __name__, url_prefix=f"{API_V1}/audit-events", description="Audit trail (admins)")


@blp.route("")
class AuditEvents(MethodView):
    @access_token_required
    @blp.doc(operationId="listAuditEvents", security=BEARER_SECURITY)
    @blp.arguments(AuditQuerySchema, location="query", as_kwargs=True)
    @blp.response(
        200,
        AuditPageSchema,
        headers={"Link": header_doc('Next page, rel="next" (absent on the last page)', required=False)},
    )
    @blp.alt_response(401, description="Missing, invalid or revoked token")
    @blp.alt_response(403, description="Admins only")
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
        next_cursor = page.next_cursor.encode() if page.next_cursor else None
        headers: dict[str, str] = {}
        if next_cursor is not None:
            # Only the validated parameters, re-serialised: raw query keys never reach url_for.
            params: dict[str, Any] = {"limit": query["limit"], "cursor": next_cursor}
            for name in ("event", "user_id", "since", "until"):
                value = query.get(name)
                if value is not None:
                    params[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
            link = (container().settings.public_base_url or "") + url_for("audit.AuditEvents", **params)
            headers["Link"] = f'<{link}>; rel="next"'
        return {"items": page.items, "next_cursor": next_cursor}, 200, headers
