"""Errors of the users domain, each with its contract code."""

from app.domain.errors import BadRequest, Conflict, NotFound


class EmailTaken(Conflict):
    code = "email_taken"
    default_detail = "An account with this email already exists."


class LastAdmin(Conflict):
    code = "last_admin"
    default_detail = "The last active admin cannot be demoted, disabled or deleted."


class UserNotFound(NotFound):
    default_detail = "No user with this id."


class InvalidVerificationToken(BadRequest):
    code = "invalid_token"
    default_detail = (
        "This verification link is invalid or expired, or is for another address; ask for a new one."
    )
