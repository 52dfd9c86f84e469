"""`flask --app wsgi keys ...`: the access-token signing keys (rotate, list, revoke)."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from app.composition import container
from app.domain.errors import DomainError
from app.keys.service import KeyListing

keys_cli = AppGroup("keys", help="Manage the keys that sign access tokens.")


@keys_cli.command("rotate")
@click.option(
    "--now",
    "immediately",
    is_flag=True,
    help="Sign with the new key at once, without waiting for verifiers to fetch it (an emergency).",
)
@click.option(
    "--if-none",
    "only_if_none",
    is_flag=True,
    help="Add a key only when none can sign (a new database); otherwise do nothing.",
)
def rotate(immediately: bool, only_if_none: bool) -> None:
    """Add the next signing key: published at once, signing after JWT_KEY_ACTIVATION_SECONDS
    (the first key ever signs at once). Run it after `db upgrade` on a new database."""
    key = container().signing_key_service().rotate(immediately=immediately, only_if_none=only_if_none)
    if key is None:
        click.echo("a signing key exists; none added")
        return
    click.echo(f"added {key.kid} ({key.algorithm}), {key.state}, signs from {_when(key.activates_at)}")


@keys_cli.command("list")
def list_keys() -> None:
    """Show every key with its state: next, active, retiring, retired or revoked."""
    for key in container().signing_key_service().list():
        click.echo(_line(key))


# A kid is base64url and may begin with "-": taken as the argument, never as an unknown option.
@keys_cli.command("revoke", context_settings={"ignore_unknown_options": True})
@click.argument("kid")
def revoke(kid: str) -> None:
    """Withdraw a key at once: its tokens are refused within JWT_KEY_CACHE_SECONDS everywhere."""
    try:
        container().signing_key_service().revoke(kid)
    except DomainError as error:
        raise click.ClickException(f"{error.code}: {error.detail}") from None
    click.echo(f"revoked {kid}")


def _line(key: KeyListing) -> str:
    retires = f" retires {_when(key.retires_at)}" if key.retires_at else ""
    revoked = f" revoked {_when(key.revoked_at)}" if key.revoked_at else ""
    return f"{key.kid}  {key.algorithm:<5}  {key.state:<8}  activates {_when(key.activates_at)}{retires}{revoked}"


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
