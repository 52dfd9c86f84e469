"""Alembic environment: runs inside the Flask app, so it migrates the database the app uses."""

import logging

from alembic import context
from flask import current_app

config = context.config
log = logging.getLogger("alembic.env")
migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadatas[None]


def _skip_empty_autogenerate(context, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected.")


def run_migrations_offline() -> None:
    url = migrate_ext.db.engine.url.render_as_string(hide_password=False)
    context.configure(
        url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    conf_args = dict(migrate_ext.configure_args)
    conf_args.setdefault("process_revision_directives", _skip_empty_autogenerate)
    with migrate_ext.db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
