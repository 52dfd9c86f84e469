"""The port every writing service uses: one transaction, committed explicitly, rolled back otherwise."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self


class UnitOfWork(Protocol):
    """`with uow: ...; uow.commit()`: leaving the block without a commit undoes everything in it."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...
