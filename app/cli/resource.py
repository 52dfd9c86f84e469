"""`flask --app wsgi resource new NAME` (`make resource NAME=...`): generate an owner-scoped resource.

The work is in app.cli.scaffold; this command adds what only a running app knows (the tables and
routes that exist), writes the plan, and lets the project's ruff order imports and format the files.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.cli import scaffold
from app.persistence.base import Base

ROOT = Path(__file__).resolve().parents[2]

resource_cli = AppGroup("resource", help="Generate code for a new resource.")


@resource_cli.command("new")
@click.argument("name")
def new(name: str) -> None:
    """Write an owner-scoped resource NAME (plural, snake_case, such as `widgets`) with a `title` field."""
    taken = {*Base.metadata.tables, *current_app.blueprints}
    try:
        planned = scaffold.plan(ROOT, name, taken=taken)
    except scaffold.RefusedName as refused:
        raise click.ClickException(f"{refused} Nothing was written.") from None
    written = scaffold.apply(ROOT, planned)
    python = [str(path) for path in written if path.suffix == ".py"]
    ruff = [sys.executable, "-m", "ruff"]
    # The project's own ruff over the files just written: imports in order, the house format.
    subprocess.run([*ruff, "check", "--quiet", "--fix", "--select", "I", *python], check=True, cwd=ROOT)  # noqa: S603
    subprocess.run([*ruff, "format", "--quiet", *python], check=True, cwd=ROOT)  # noqa: S603
    for path in planned.created:
        lines = (ROOT / path).read_text(encoding="utf-8").count("\n")
        click.echo(f"created {path} ({lines} lines)")
    for path in planned.edited:
        click.echo(f"edited  {path}")
    click.echo("Next: `make migrate`, then `make test`; docs/adding-a-resource.md says what to edit.")
