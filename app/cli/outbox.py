"""`flask --app wsgi outbox ...`: dead messages, listed and sent again."""

from __future__ import annotations

import uuid
from datetime import timedelta

import click
from flask.cli import AppGroup

from app.cli.bounds import days
from app.composition import container

outbox_cli = AppGroup("outbox", help="Inspect and retry outbox messages (mail and background jobs).")


@outbox_cli.command("dead")
@click.option("--limit", type=click.IntRange(min=1, max=1000), default=50, show_default=True)
def list_dead(limit: int) -> None:
    """Messages that used every attempt: id, kind, attempts, when they died, the last error."""
    with container().unit_of_work() as uow:
        messages = uow.outbox.dead(limit=limit)
        for message in messages:
            died = message.processed_at.isoformat() if message.processed_at else "-"
            click.echo(
                f"{message.id}  {message.kind}  attempts={message.attempts}  died={died}  {message.last_error or ''}"
            )
        click.echo(f"{len(messages)} dead message(s)")


@outbox_cli.command("retry")
@click.argument("message_ids", nargs=-1, type=click.UUID)
@click.option("--all", "retry_all", is_flag=True, help="Retry every dead message.")
def retry(message_ids: tuple[uuid.UUID, ...], retry_all: bool) -> None:
    """Send dead messages again, with a fresh budget of attempts."""
    if not message_ids and not retry_all:
        raise click.UsageError("name message ids, or pass --all")
    built = container()
    with built.unit_of_work() as uow:
        revived = uow.outbox.revive(None if retry_all else list(message_ids), now=built.clock())
        uow.commit()
    click.echo(f"queued {len(revived)} message(s) again")


@outbox_cli.command("purge")
@click.option("--older-than-days", type=days(0), default=7, show_default=True)
def purge(older_than_days: int) -> None:
    """Delete processed messages older than this (run it daily); dead messages are kept."""
    built = container()
    with built.unit_of_work() as uow:
        purged = uow.outbox.purge_done(before=built.clock() - timedelta(days=older_than_days))
        uow.commit()
    click.echo(f"purged {purged} processed message(s)")
