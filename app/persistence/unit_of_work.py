"""The SQL unit of work: one session's transaction, committed explicitly and rolled back otherwise.

Features subclass it to own their repositories (see app.composition); services only see the
`UnitOfWork` port. Leaving the `with` block without a commit rolls back, so a domain error raised
half-way (after a `FOR UPDATE`, after a flush) never leaves locks or writes behind.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session

from app.persistence.write_errors import ConstraintErrors, translated


class SqlUnitOfWork:
    def __init__(self, session: Session, *, constraint_errors: ConstraintErrors) -> None:
        self.session = session
        self._constraint_errors = constraint_errors
        self._committed = False

    def __enter__(self) -> Self:
        self._committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.session.rollback()

    def commit(self) -> None:
        with translated(self.session, self._constraint_errors):
            self.session.commit()
        self._committed = True
