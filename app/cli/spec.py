"""`flask --app wsgi spec write`: regenerate the committed OpenAPI document (`make openapi`)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.web.openapi_file import COMMITTED_PATH, document_of, render

spec_cli = AppGroup("spec", help="The committed OpenAPI document.")


@spec_cli.command("write")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=COMMITTED_PATH)
def write(path: Path) -> None:
    """Write the OpenAPI document the app serves to PATH (default docs/openapi.json)."""
    path.write_text(render(document_of(current_app)), encoding="utf-8")
    click.echo(f"wrote {path}")
