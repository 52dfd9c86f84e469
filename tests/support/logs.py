"""The log as production writes it: the handler `configure_logging` installs writes to the process's
standard error, which pytest captures. Nothing here installs a handler or filter of its own, so a
test on these lines fails when the production configuration loses its redaction or its context."""

from __future__ import annotations

import json
from typing import Any

import pytest


class ProductionLog:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self._seen: list[str] = []
        capsys.readouterr()  # start from this test's own lines

    @property
    def lines(self) -> list[str]:
        """Every JSON line written to standard error so far."""
        self._seen += [line for line in self._capsys.readouterr().err.splitlines() if line.startswith("{")]
        return list(self._seen)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    def access(self, route: str) -> list[dict[str, Any]]:
        return [r for r in self.records() if r["logger"] == "keel.access" and r.get("route") == route]


@pytest.fixture
def production_log(capsys: pytest.CaptureFixture[str]) -> ProductionLog:
    return ProductionLog(capsys)
