"""Keel: a production-ready REST API service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build a Keel app (see app.factory).

    Imported lazily so that reading settings (gunicorn.conf.py, before the fork) does not import the
    whole app: metrics and connections must be created in workers, not in the master.
    """
    from app.factory import create_app as build

    return build(overrides)


__all__ = ["create_app"]
