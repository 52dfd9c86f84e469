"""The audit trail over HTTP: a keyset page of events, filtered by event, user and time."""

import marshmallow as ma

from app.domain.audit import EVENTS
from app.users.schemas import CursorField
from app.web.fields import SingleLineText, UtcDateTime

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


class AuditQuerySchema(ma.Schema):
    limit = ma.fields.Integer(load_default=DEFAULT_LIMIT, validate=ma.validate.Range(min=1, max=MAX_LIMIT))
    cursor = CursorField()
    event = SingleLineText(validate=ma.validate.OneOf(EVENTS))
    user_id = ma.fields.UUID(metadata={"description": "Events whose actor or subject is this user"})
    since = UtcDateTime(metadata={"description": "At or after this time (with a UTC offset)"})
    until = UtcDateTime(metadata={"description": "Before this time (with a UTC offset)"})

    @ma.validates_schema
    def _ordered(self, data: dict[str, object], **_: object) -> None:
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and since >= until:  # type: ignore[operator]
            raise ma.ValidationError("`since` must be before `until`.", "since")


class AuditPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AuditEventSchema), required=True)
    next_cursor = ma.fields.String(
        allow_none=True, required=True, metadata={"description": "The next page's cursor; null on the last"}
    )
