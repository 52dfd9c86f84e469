"""The one place that turns SQLAlchemy's write failures into domain errors.

A stale version is a failed precondition. A broken constraint is looked up by its name in the
mapping the repositories declare, so a repository says `{"uq_users_email_normalized": EmailTaken}`
and never matches driver messages. PostgreSQL reports the constraint's name; SQLite reports only
the table and columns of a UNIQUE violation, so those are resolved to the constraint that the
schema declares on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.domain.errors import Conflict, DomainError, PreconditionFailed
from app.persistence.base import Base

ConstraintErrors = Mapping[str, type[DomainError]]

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w.]+(?:, [\w.]+)*)")
_SQLITE_NAMED = re.compile(r"(?:CHECK|NOT NULL) constraint failed: (?P<name>\w+)")


class ConstraintViolation(Conflict):
    """A write broke a database constraint that no repository gave a domain meaning."""

    def __init__(self, constraint: str | None) -> None:
        super().__init__()
        self.constraint = constraint


def violated_constraint(error: IntegrityError, metadata: sa.MetaData = Base.metadata) -> str | None:
    """The name of the constraint a write broke, on PostgreSQL and SQLite alike."""
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if isinstance(name, str) and name:
        return name
    message = str(error.orig)
    if unique := _SQLITE_UNIQUE.search(message):
        return _unique_constraint_on(unique.group("columns").split(", "), metadata)
    if named := _SQLITE_NAMED.search(message):
        return named.group("name")
    return None


def _unique_constraint_on(qualified_columns: list[str], metadata: sa.MetaData) -> str | None:
    table_name = qualified_columns[0].partition(".")[0]
    columns = {column.partition(".")[2] for column in qualified_columns}
    table = metadata.tables.get(table_name)
    if table is None:
        return None
    candidates: list[sa.UniqueConstraint | sa.Index] = [
        *(c for c in table.constraints if isinstance(c, sa.UniqueConstraint)),
        *(i for i in table.indexes if i.unique),
    ]
    for candidate in candidates:
        if {column.name for column in candidate.columns} == columns and isinstance(candidate.name, str):
            return candidate.name
    return None


@contextmanager
def translated(session: Session, known: ConstraintErrors) -> Iterator[None]:
    """Raise the domain error a failed write means, after rolling back: the database has aborted the
    transaction, and nothing more can be written in it."""
    try:
        yield
    except StaleDataError:
        session.rollback()
        raise PreconditionFailed("The resource was changed by another request; read it again.") from None
    except IntegrityError as error:
        session.rollback()
        name = violated_constraint(error)
        domain_error = known.get(name) if name is not None else None
        if domain_error is not None:
            raise domain_error() from None
        raise ConstraintViolation(name) from None
