"""Errors of the users domain, each with its contract code."""

from app.domain.errors import Conflict, Forbidden, NotFound


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
