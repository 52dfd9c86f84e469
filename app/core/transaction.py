"""The unit of work services commit through; it speaks domain errors, not SQLAlchemy's."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.core.errors import Conflict, PreconditionFailed


class Transaction(Protocol):
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class SqlTransaction:
    def __init__(self, session: Session) -> None:
        self._session = session

    def commit(self) -> None:
        try:
            self._session.commit()
        except StaleDataError:
            self._session.rollback()
            raise PreconditionFailed("The resource was changed by another request; read it again.") from None
        except IntegrityError:
            self._session.rollback()
            raise Conflict() from None

    def rollback(self) -> None:
        self._session.rollback()
