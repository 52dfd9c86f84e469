"""`flask --app wsgi users ...`: operator commands for accounts."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from marshmallow import ValidationError

from app.auth.schemas import RegisterSchema
from app.cli.bounds import SEED_COUNT
from app.composition import container
from app.domain.errors import DomainError
from app.users.service import NewUser

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_admin(email: str, name: str, password: str) -> None:
    """Create an admin account (prompts for what is left out)."""
    try:
        fields = RegisterSchema().load({"email": email, "name": name, "password": password})
    except ValidationError as error:
        raise click.ClickException(f"invalid input: {error.messages}") from None
    try:
        user = container().user_service().provision(NewUser(**fields, role="admin"))
    except DomainError as error:
        raise click.ClickException(f"{error.code}: {error.detail}") from None
    click.echo(f"created admin {user.id} <{user.email}>")


@users_cli.command("seed")
@click.option("--count", type=SEED_COUNT, required=True, help="How many users to create.")
@click.option(
    "--password",
    default="correct-horse-battery-staple",
    show_default=True,
    help="The password every seeded user gets.",
)
def seed(count: int, password: str) -> None:
    """Bulk-create COUNT demo users quickly, for demos and benchmarks."""
    started = time.perf_counter()
    try:
        created = container().user_service().seed(count=count, password=password)
    except DomainError as error:
        raise click.ClickException(f"{error.code}: {error.detail}") from None
    click.echo(f"created {created} users in {time.perf_counter() - started:.1f}s")
