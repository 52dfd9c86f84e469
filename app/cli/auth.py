"""`flask --app wsgi auth ...`: operator commands for sessions."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from app.cli.bounds import days
from app.composition import container

auth_cli = AppGroup("auth", help="Manage authentication sessions.")


@auth_cli.command("purge-sessions")
@click.option(
    "--older-than-days",
    type=days(0),
    default=7,
    show_default=True,
    help="Keep sessions that ended more recently than this, for audits.",
)
def purge_sessions(older_than_days: int) -> None:
    """Delete refresh sessions that expired or were revoked, and lapsed second-factor login
    challenges (run it daily, e.g. from cron)."""
    purged = container().auth_service().purge_sessions(older_than=timedelta(days=older_than_days))
    click.echo(f"purged {purged} ended sessions")
