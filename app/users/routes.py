"""User endpoints: HTTP only (headers, status codes, links); the rules live in UserService."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request, url_for
from flask.views import MethodView

from app.composition import container
from app.users.models import User
from app.users.schemas import (
    UserCreateSchema,
    UserListQuerySchema,
    UserPageSchema,
    UserSchema,
    UserUpdateSchema,
)
from app.users.service import NewUser, UserChanges
from app.web import conditional
from app.web.api import header_doc
from app.web.auth_guard import (
    API_KEY_INVALID,
    API_KEY_REFUSED,
    BEARER_SECURITY,
    KEY_OR_BEARER_SECURITY,
    access_token_required,
    current_principal,
    token_or_api_key_required,
)
from app.web.blueprint import Blueprint
from app.web.idempotency import KEY_PARAMETER, REPLAYED, REPLAYED_HEADER, idempotent
from app.web.pages import NEXT_LINK, page_response
from app.web.paths import API_V1
from app.web.rate_limits import rate_limit

blp = Blueprint("users", __name__, url_prefix=f"{API_V1}/users", description="User accounts")

_ETAG_HEADER = conditional.etag_header("user")
_IF_MATCH = [conditional.if_match("user")]


def _keeps_email() -> bool:
    """Only a change of email can answer `email_taken`, so only those count like registrations."""
    body = request.get_json(silent=True)
    return not (isinstance(body, dict) and "email" in body)


@blp.route("/me")
class Me(MethodView):
    @token_or_api_key_required("users:read")
    @blp.doc(operationId="getMe", security=KEY_OR_BEARER_SECURITY)
    @blp.response(200, UserSchema, headers=_ETAG_HEADER)
    @blp.alt_response(401, description="Missing, invalid or revoked token; `invalid_api_key`")
    @blp.alt_response(403, description="`insufficient_scope`: an API key without `users:read`")
    def get(self) -> tuple[User, int, dict[str, str]]:
        """Read your own account."""
        actor = current_principal()
        return conditional.tagged(container().user_service().get(actor, actor.user_id))


@blp.route("")
class Users(MethodView):
    @token_or_api_key_required("users:read")
    @blp.doc(operationId="listUsers", security=KEY_OR_BEARER_SECURITY)
    @blp.arguments(UserListQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, UserPageSchema, headers=NEXT_LINK)
    @blp.alt_response(401, description="Missing, invalid or revoked token; `invalid_api_key`")
    @blp.alt_response(403, description="Admins only; `insufficient_scope` for an API key without the scope")
    @blp.alt_response(422, description="Bad limit, cursor or filter")
    def get(self, **query: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
        """List users, newest first (admins only)."""
        page = (
            container()
            .user_service()
            .list(
                current_principal(),
                limit=query["limit"],
                after=query.get("cursor"),
                role=query.get("role"),
                is_active=query.get("is_active"),
            )
        )
        return page_response(page, "users.Users", query, public_base_url=container().settings.public_base_url)

    @token_or_api_key_required("users:write")
    @blp.doc(operationId="createUser", security=KEY_OR_BEARER_SECURITY, parameters=[KEY_PARAMETER])
    @idempotent(lambda: container().idempotency())
    @blp.arguments(
        UserCreateSchema,
        example={
            "email": "grace@example.com",
            "password": "harbor-violet-engine-9",
            "name": "Grace Hopper",
            "role": "user",
        },
    )
    @blp.response(
        201,
        UserSchema,
        headers={"Location": header_doc("URL of the new user"), **_ETAG_HEADER, REPLAYED: REPLAYED_HEADER},
    )
    @blp.alt_response(401, description="Missing, invalid or revoked token; `invalid_api_key`")
    @blp.alt_response(403, description="Admins only; `insufficient_scope` for an API key without the scope")
    @blp.alt_response(
        409,
        description="`email_taken`; `idempotency_key_in_use`: a request with this key is still running",
    )
    @blp.alt_response(422, description="Invalid body, weak or common password, or `idempotency_key_reused`")
    def post(self, body: dict[str, Any]) -> tuple[User, int, dict[str, str]]:
        """Create a user of any role (admins only)."""
        user = container().user_service().create(current_principal(), NewUser(**body))
        return conditional.tagged(user, 201, Location=url_for("users.UserById", user_id=user.id))


@blp.route("/<uuid:user_id>")
class UserById(MethodView):
    @token_or_api_key_required("users:read")
    @blp.doc(
        operationId="getUser",
        security=KEY_OR_BEARER_SECURITY,
        parameters=[conditional.IF_NONE_MATCH],
    )
    @blp.response(200, UserSchema, headers=_ETAG_HEADER)
    @blp.alt_response(304, **conditional.not_modified("user"))
    @blp.alt_response(401, description="Missing, invalid or revoked token; `invalid_api_key`")
    @blp.alt_response(403, description="Not yours, and you are not an admin; `insufficient_scope` (API key)")
    @blp.alt_response(404, description="No such user (admins only)")
    def get(self, user_id: uuid.UUID) -> tuple[User, int, dict[str, str]] | Response:
        """Read a user (yourself, or anyone as an admin)."""
        user = container().user_service().get(current_principal(), user_id)
        return conditional.tagged_or_not_modified(user)

    @rate_limit(lambda limits: limits.ratelimit_register, scope="email-change", exempt_when=_keeps_email)
    @token_or_api_key_required("users:write")
    @blp.doc(operationId="updateUser", security=KEY_OR_BEARER_SECURITY, parameters=_IF_MATCH)
    @blp.arguments(UserUpdateSchema, example={"name": "Ada King"})
    @blp.response(200, UserSchema, headers=_ETAG_HEADER)
    @blp.alt_response(401, description="Missing, invalid or revoked token; `invalid_api_key`")
    @blp.alt_response(
        403,
        description="Not allowed, admin-only field, or `invalid_current_password`; "
        "`insufficient_scope`: an API key without `users:write`, or changing an email or password",
    )
    @blp.alt_response(404, description="No such user (admins only)")
    @blp.alt_response(409, description="`email_taken` or `last_admin`")
    @blp.alt_response(412, description="`precondition_failed`: stale If-Match or a concurrent update")
    @blp.alt_response(429, description="`rate_limited`: too many current_password failures or email changes")
    @blp.alt_response(422, description="Invalid body, or `current_password` missing")
    def patch(self, body: dict[str, Any], user_id: uuid.UUID) -> tuple[User, int, dict[str, str]]:
        """Change a user's fields; your own email or password needs current_password."""
        current_password = body.pop("current_password", None)
        changes = UserChanges(values=body, current_password=current_password)
        user = (
            container()
            .user_service()
            .update(
                current_principal(), user_id, changes, expected_version=conditional.expected_version(user_id)
            )
        )
        return conditional.tagged(user)

    @token_or_api_key_required("users:write")
    @blp.doc(operationId="deleteUser", security=KEY_OR_BEARER_SECURITY, parameters=_IF_MATCH)
    @blp.response(204)
    @blp.alt_response(401, description="Missing, invalid or revoked token; `invalid_api_key`")
    @blp.alt_response(
        403,
        description="Not yours, and you are not an admin; or `reauthentication_required`: your own "
        "account, without a sign-in within REAUTH_MAX_AGE_SECONDS (POST /auth/reauthenticate first)",
    )
    @blp.alt_response(404, description="No such user (admins only)")
    @blp.alt_response(409, description="`last_admin`")
    @blp.alt_response(412, description="`precondition_failed`: stale If-Match")
    def delete(self, user_id: uuid.UUID) -> Response:
        """Delete a user; their tokens stop working at once. Your own account needs a recent sign-in."""
        container().user_service().delete(
            current_principal(), user_id, expected_version=conditional.expected_version(user_id)
        )
        return Response(status=204)


@blp.route("/<uuid:user_id>/sessions")
class UserSessions(MethodView):
    @access_token_required
    @blp.doc(operationId="endUserSessions", security=BEARER_SECURITY)
    @blp.response(204)
    @blp.alt_response(401, description=f"Missing, invalid or revoked access token; {API_KEY_INVALID}")
    @blp.alt_response(403, description=f"`forbidden`: admins only; {API_KEY_REFUSED}")
    @blp.alt_response(404, description="`not_found`: no such user")
    def delete(self, user_id: uuid.UUID) -> Response:
        """End every session of a user (admins): all their tokens stop working at once."""
        container().user_service().end_sessions(current_principal(), user_id)
        return Response(status=204)


@blp.route("/<uuid:user_id>/mfa")
class UserSecondFactor(MethodView):
    @access_token_required
    @blp.doc(operationId="removeUserMfa", security=BEARER_SECURITY)
    @blp.response(204)
    @blp.alt_response(401, description=f"Missing, invalid or revoked access token; {API_KEY_INVALID}")
    @blp.alt_response(403, description=f"`forbidden`: admins only; {API_KEY_REFUSED}")
    @blp.alt_response(404, description="`not_found`: no such user")
    def delete(self, user_id: uuid.UUID) -> Response:
        """Remove a user's second factor (admins), such as after a lost phone and lost recovery codes."""
        container().totp_service().remove_by_admin(current_principal(), user_id)
        return Response(status=204)
