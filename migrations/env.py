"""Alembic environment: runs inside the Flask app, so it migrates the database the app uses.

`flask --app wsgi db migrate` writes a revision in the style of the ones already here: the next
number after the newest (`0010`, file `YYYYMMDD_0010_<message>.py`), column types as plain
SQLAlchemy types (Keel's own types are rendered as the type they store, so a revision never
imports app code that may change later), `op.create_table`/`op.create_index` as they are, and
`batch_alter_table` only around changes to the columns or constraints of an existing table, which
SQLite can only make by copying the table. With no difference between models and database it
writes nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.migration import MigrationContext
from alembic.operations import ops
from flask import current_app

config = context.config
log = logging.getLogger("alembic.env")
migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadatas[None]

# What `alembic.util.rev_id()` makes when no `--rev-id` is given: that one is replaced by a number.
_RANDOM_REV_ID = re.compile(r"[0-9a-f]{12}")
_NUMBERED_REV_ID = re.compile(r"[0-9]{4,}")
# Index changes run as they are on every backend; everything else on an existing table is batched.
_UNBATCHED = (ops.CreateIndexOp, ops.DropIndexOp)


def _render_type(type_: sa.types.TypeEngine[Any], autogen_context: AutogenContext) -> str:
    """A type as the revision must spell it, with the import it needs added to the revision."""
    module = type(type_).__module__
    if module.startswith("sqlalchemy.dialects."):
        dialect = module.split(".")[2]
        autogen_context.imports.add(f"from sqlalchemy.dialects import {dialect}")
        return f"{dialect}.{type_!r}"
    if module.startswith("sqlalchemy."):
        return f"{autogen_context.opts['sqlalchemy_module_prefix'] or ''}{type_!r}"
    if isinstance(type_, sa.types.TypeDecorator) and not getattr(
        type_.impl_instance, "_variant_mapping", None
    ):
        # What the column stores; the Python-side conversion does not belong to the schema.
        return _render_type(type_.impl_instance, autogen_context)
    autogen_context.imports.add(f"import {module}")
    return f"{module}.{type_!r}"


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    if type_ == "type" and not type(obj).__module__.startswith("sqlalchemy."):
        return _render_type(obj, autogen_context)
    return False


def _next_revision_id() -> str:
    numbers = [
        int(script.revision)
        for script in context.script.walk_revisions()
        if _NUMBERED_REV_ID.fullmatch(script.revision)
    ]
    return f"{max(numbers, default=0) + 1:04d}"


def _unbatch_index_changes(container: ops.OpContainer) -> None:
    """Index changes leave their `batch_alter_table` block (so a new table reads as
    `op.create_table` then `op.create_index`); column and constraint changes stay in it, in order."""
    flattened: list[ops.MigrateOperation] = []
    for operation in container.ops:
        if not isinstance(operation, ops.ModifyTableOps):
            flattened.append(operation)
            continue
        batch: list[ops.MigrateOperation] = []
        for inner in operation.ops:
            if isinstance(inner, _UNBATCHED):
                if batch:
                    flattened.append(ops.ModifyTableOps(operation.table_name, batch, schema=operation.schema))
                    batch = []
                flattened.append(inner)
            else:
                batch.append(inner)
        if batch:
            flattened.append(ops.ModifyTableOps(operation.table_name, batch, schema=operation.schema))
    container.ops = flattened


def _process_revision_directives(
    migration_context: MigrationContext, revision: Any, directives: list[ops.MigrationScript]
) -> None:
    script = directives[0]
    if getattr(config.cmd_opts, "autogenerate", False) and all(
        upgrade_ops.is_empty() for upgrade_ops in script.upgrade_ops_list
    ):
        directives[:] = []
        log.info("No changes in schema detected.")
        return
    if script.rev_id is None or _RANDOM_REV_ID.fullmatch(script.rev_id):
        script.rev_id = _next_revision_id()
    for container in [*script.upgrade_ops_list, *script.downgrade_ops_list]:
        _unbatch_index_changes(container)


def _options() -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        "compare_type": True,
        "render_as_batch": True,
        "render_item": _render_item,
        "process_revision_directives": _process_revision_directives,
        **migrate_ext.configure_args,
    }


def run_migrations_offline() -> None:
    url = migrate_ext.db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with migrate_ext.db.engine.connect() as connection:
        context.configure(connection=connection, **_options())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
