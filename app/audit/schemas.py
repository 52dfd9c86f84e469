"""The audit trail over HTTP: a keyset page of events, filtered by event, user and time."""

import marshmallow as ma

from app.domain.audit import EVENTS
from app.web.fields import SingleLineText, UtcDateTime
from app.web.page_schemas import PageQuerySchema, limit_field, page_schema

# Events are small rows read in bulk by admins: larger pages than the users listing.
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class AuditEventSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    # An open vocabulary: a client must expect events added after it was written, so the document
    # lists today's names without closing the set.
    event = ma.fields.String(
        required=True,
        metadata={
            "description": "What happened; new kinds of event may be added. Today: " + ", ".join(EVENTS)
        },
    )
    actor_id = ma.fields.UUID(
        allow_none=True, required=True, metadata={"description": "Who acted (null: unauthenticated)"}
    )
    subject_id = ma.fields.UUID(
        allow_none=True, required=True, metadata={"description": "Whose account it concerns"}
    )
    client_address = ma.fields.String(allow_none=True, required=True)
    user_agent = ma.fields.String(allow_none=True, required=True)
    request_id = ma.fields.String(allow_none=True, required=True)
    created_at = ma.fields.AwareDateTime(required=True)


class AuditQuerySchema(PageQuerySchema):
    limit = limit_field(default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
    event = SingleLineText(validate=ma.validate.OneOf(EVENTS))
    user_id = ma.fields.UUID(metadata={"description": "Events whose actor or subject is this user"})
    since = UtcDateTime(
        metadata={
            "description": "At or after this time (with a UTC offset); before `until` when both are given"
        }
    )
    until = UtcDateTime(
        metadata={"description": "Before this time (with a UTC offset); after `since` when both are given"}
    )

    @ma.validates_schema
    def _ordered(self, data: dict[str, object], **_: object) -> None:
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and since >= until:  # type: ignore[operator]
            raise ma.ValidationError("`since` must be before `until`.", "since")


AuditPageSchema = page_schema(AuditEventSchema, "AuditPage")
