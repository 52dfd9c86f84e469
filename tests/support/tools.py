"""Tests that need a program: on a newcomer's machine they skip and say how to get it; in CI they fail."""

from __future__ import annotations

import os
import shutil

import pytest


def require_program(name: str, *, install: str) -> str:
    path = shutil.which(name)
    if path is not None:
        return path
    reason = f"{name} is not installed ({install}); .ci/run installs it"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, and CI may not skip it")
    pytest.skip(reason)
