"""`flask --app wsgi audit purge`: the audit trail kept for AUDIT_RETENTION_DAYS, no longer."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from app.cli.bounds import days
from app.composition import container

audit_cli = AppGroup("audit", help="Manage the audit trail.")


@audit_cli.command("purge")
@click.option(
    "--older-than-days",
    type=days(1),
    default=None,
    help="Delete events older than this; default AUDIT_RETENTION_DAYS.",
)
def purge(older_than_days: int | None) -> None:
    """Delete audit events past their retention (run it daily, e.g. from cron)."""
    built = container()
    days = older_than_days or built.settings.audit_retention_days
    purged = built.audit_service().purge(older_than=timedelta(days=days))
    click.echo(f"purged {purged} audit events older than {days} days")
