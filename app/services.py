"""The composition root: builds each request's services from the real adapters."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from app.auth.repository import SqlSessionRepository
from app.auth.service import AuthService
from app.auth.tokens import JwtTokenIssuer
from app.config import Settings
from app.core.passwords import PasswordHasher
from app.core.transaction import SqlTransaction
from app.extensions import db
from app.users.repository import SqlUserRepository
from app.users.service import UserService


def password_hasher() -> PasswordHasher:
    hasher: PasswordHasher = current_app.extensions["keel.password_hasher"]
    return hasher


def user_service() -> UserService:
    session = db.session()
    return UserService(
        users=SqlUserRepository(session),
        tx=SqlTransaction(session),
        hasher=password_hasher(),
        sessions=SqlSessionRepository(session),
    )


def auth_service() -> AuthService:
    session = db.session()
    settings: Settings = current_app.config["KEEL_SETTINGS"]
    return AuthService(
        users=SqlUserRepository(session),
        sessions=SqlSessionRepository(session),
        tx=SqlTransaction(session),
        hasher=password_hasher(),
        issuer=JwtTokenIssuer(),
        refresh_ttl=timedelta(seconds=settings.jwt_refresh_ttl_seconds),
        reuse_grace=timedelta(seconds=settings.refresh_reuse_grace_seconds),
    )
