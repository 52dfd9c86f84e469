"""The worker's rotation loop: it checks, logs a rotation, survives a failed check and stops."""

from __future__ import annotations

import logging
import threading

import pytest

from app.jobs.key_rotation import KeyRotation


def test_a_rotation_is_logged_with_its_kid_and_no_rotation_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    results = iter(["kid-2", None])
    rotation = KeyRotation(rotate_if_due=lambda: next(results))

    with caplog.at_level(logging.INFO, logger="keel.jobs"):
        assert rotation.check_once() == "kid-2"
        assert rotation.check_once() is None

    assert [record.kid for record in caplog.records] == ["kid-2"]  # type: ignore[attr-defined]


def test_a_failed_check_is_logged_and_tried_again_until_stopped(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []
    rotation: KeyRotation

    def failing() -> str | None:
        calls.append(1)
        if len(calls) == 2:
            rotation.stop()
        raise RuntimeError("database unreachable")

    rotation = KeyRotation(rotate_if_due=failing, interval_seconds=0.0)
    runner = threading.Thread(target=rotation.run, daemon=True)
    with caplog.at_level(logging.ERROR, logger="keel.jobs"):
        runner.start()
        runner.join(timeout=5)

    assert not runner.is_alive()
    assert len(calls) == 2
    assert [record.message for record in caplog.records] == ["scheduled key rotation failed"] * 2
