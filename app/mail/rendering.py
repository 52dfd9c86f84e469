"""Mail bodies from templates: plain text and HTML, the HTML autoescaped, undefined names an error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from app.mail.messages import Mail

SUBJECTS = {
    "password_reset": "Reset your password",
    "verify_email": "Confirm your email address",
    "email_changed": "Your email address was changed",
    "notice_password_changed": "Your password was changed",
    "notice_password_reset": "Your password was reset",
    "notice_second_factor_added": "A second factor was added to your account",
    "notice_second_factor_removed": "The second factor of your account was removed",
}

_templates = Environment(
    loader=PackageLoader("app.mail", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def render(template: str, *, to: str, context: Mapping[str, Any]) -> Mail:
    if template not in SUBJECTS:
        raise ValueError(f"no mail template {template!r}")
    return Mail(
        to=to,
        subject=SUBJECTS[template],
        text=_templates.get_template(f"{template}.txt").render(context),
        html=_templates.get_template(f"{template}.html").render(context),
    )
