"""Errors of the users domain, each with its contract code."""

from app.domain.errors import BadRequest, Conflict, Forbidden, NotFound


class EmailTaken(Conflict):
    code = "email_taken"
    default_detail = "An account with this email already exists."


class LastAdmin(Conflict):
    code = "last_admin"
    default_detail = "The last active admin cannot be demoted, disabled or deleted."


class InvalidCurrentPassword(Forbidden):
    code = "invalid_current_password"
    default_detail = "The current password is wrong."


class UserNotFound(NotFound):
    default_detail = "No user with this id."


class InvalidVerificationToken(BadRequest):
    code = "invalid_token"
    default_detail = (
        "This verification link is invalid or expired, or is for another address; ask for a new one."
    )
