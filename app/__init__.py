"""Keel: a production-ready REST API service."""

from app.factory import create_app

__all__ = ["create_app"]
