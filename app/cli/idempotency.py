"""`flask --app wsgi idempotency purge`: expired Idempotency-Keys leave the database (Redis expires its own)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.composition import container
from app.idempotency.repository import SqlIdempotencyStore

idempotency_cli = AppGroup("idempotency", help="Manage stored Idempotency-Keys.")


@idempotency_cli.command("purge")
def purge() -> None:
    """Delete expired keys from the database (run it daily, e.g. from cron, beside `audit purge`)."""
    built = container()
    store = built.idempotency_store
    if not isinstance(store, SqlIdempotencyStore):
        click.echo("idempotency keys are kept in Redis, which expires them itself")
        return
    click.echo(f"purged {store.purge(now=built.clock())} expired idempotency keys")
