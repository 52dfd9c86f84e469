"""Operator commands refuse values past what a calendar holds with a usage error, not a traceback."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

HUGE = str(10**12)

PURGES = [
    ["audit", "purge", "--older-than-days"],
    ["auth", "purge-sessions", "--older-than-days"],
    ["outbox", "purge", "--older-than-days"],
]


@pytest.mark.parametrize("command", PURGES, ids=lambda command: " ".join(command[:2]))
@pytest.mark.parametrize("days", [HUGE, "36501"])
def test_a_purge_refuses_more_days_than_a_century(app: Flask, command: list[str], days: str) -> None:
    result = app.test_cli_runner().invoke(args=[*command, days])

    assert result.exit_code == 2, result.output
    assert "--older-than-days" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", PURGES, ids=lambda command: " ".join(command[:2]))
def test_a_purge_accepts_a_century(app: Flask, command: list[str]) -> None:
    result: FlaskCliRunner = app.test_cli_runner()

    outcome = result.invoke(args=[*command, "36500"])

    assert outcome.exit_code == 0, outcome.output
    assert "purged 0" in outcome.output


def test_seeding_refuses_an_unbounded_count(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["users", "seed", "--count", HUGE])

    assert result.exit_code == 2, result.output
    assert "--count" in result.output
