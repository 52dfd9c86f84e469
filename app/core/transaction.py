"""The unit of work services commit through, and the one place that turns SQLAlchemy's write
failures into domain errors: a stale version is a failed precondition, a broken constraint a conflict."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.core.errors import Conflict, PreconditionFailed


class ConstraintViolation(Conflict):
    """A write broke a database constraint; `constraint` tells which, for the repository to name it."""

    def __init__(self, constraint: str) -> None:
        super().__init__()
        self.constraint = constraint


class Transaction(Protocol):
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


@contextmanager
def _translated(session: Session) -> Iterator[None]:
    try:
        yield
    except StaleDataError:
        session.rollback()
        raise PreconditionFailed("The resource was changed by another request; read it again.") from None
    except IntegrityError as error:
        # PostgreSQL has aborted the transaction; nothing more can be written in it.
        session.rollback()
        raise ConstraintViolation(str(error.orig)) from None


def flush(session: Session) -> None:
    """Write pending changes now, so conflicts surface where the repository can name them."""
    with _translated(session):
        session.flush()


class SqlTransaction:
    def __init__(self, session: Session) -> None:
        self._session = session

    def commit(self) -> None:
        with _translated(self._session):
            self._session.commit()

    def rollback(self) -> None:
        self._session.rollback()
