"""The composition root: the one place that knows every concrete adapter.

`build_container` makes the process's adapters once per app (settings, password hasher, token
issuer, limiter, readiness checks); the container then builds each request's services over the
request's database session. Routes, the JWT guard and the CLI ask `container()` and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from app.auth import callers
from app.auth.repository import SqlSessionRepository
from app.auth.service import AuthService
from app.auth.tokens import JwtTokenIssuer
from app.config import Settings
from app.domain.attempts import AttemptBudget
from app.domain.clock import utcnow
from app.domain.passwords import Argon2PasswordHasher, PasswordHasher
from app.domain.principal import Principal
from app.extensions import db
from app.health.checks import ping_database
from app.persistence.unit_of_work import SqlUnitOfWork
from app.users import repository as user_repository
from app.users.repository import SqlUserRepository
from app.users.service import UserService
from app.web.attempt_budget import LimiterAttemptBudget
from app.web.rate_limits import storage_check

if TYPE_CHECKING:
    import uuid

    from flask_limiter import Limiter

ReadinessCheck = Callable[[], None]

_EXTENSION = "keel"


class KeelUnitOfWork(SqlUnitOfWork):
    """One request's transaction and every repository over it."""

    def __init__(self, session: Session) -> None:
        super().__init__(session, constraint_errors={**user_repository.CONSTRAINT_ERRORS})
        self.users = SqlUserRepository(session)
        self.sessions = SqlSessionRepository(session)


@dataclass(frozen=True, kw_only=True)
class Container:
    settings: Settings
    hasher: PasswordHasher
    tokens: JwtTokenIssuer
    limiter: Limiter
    attempts: AttemptBudget
    readiness_checks: Mapping[str, ReadinessCheck]
    clock: Callable[[], datetime] = field(default=utcnow)

    def unit_of_work(self) -> KeelUnitOfWork:
        return KeelUnitOfWork(db.session())

    def user_service(self) -> UserService:
        return UserService(
            uow=self.unit_of_work(), hasher=self.hasher, attempts=self.attempts, clock=self.clock
        )

    def auth_service(self) -> AuthService:
        return AuthService(
            uow=self.unit_of_work(),
            hasher=self.hasher,
            attempts=self.attempts,
            issuer=self.tokens,
            refresh_ttl=self.tokens.refresh_ttl,
            session_lifetime=timedelta(seconds=self.settings.session_lifetime_seconds),
            reuse_grace=timedelta(seconds=self.settings.refresh_reuse_grace_seconds),
            clock=self.clock,
        )

    def load_caller(self, *, user_id: uuid.UUID, session_id: uuid.UUID) -> Principal | None:
        """The per-request caller behind an access token (see app.auth.callers)."""
        sessions = SqlSessionRepository(db.session())
        return callers.load_caller(sessions, user_id=user_id, session_id=session_id, now=self.clock())


def build_container(settings: Settings, *, limiter: Limiter, engine: sa.Engine) -> Container:
    """Make the process's adapters once; a new app (a test, a worker) gets its own."""
    checks: dict[str, ReadinessCheck] = {"database": ping_database(engine)}
    if settings.redis_url is not None:
        checks["redis"] = storage_check(limiter)
    return Container(
        settings=settings,
        hasher=Argon2PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_kib=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        ),
        tokens=JwtTokenIssuer(
            access_ttl=timedelta(seconds=settings.jwt_access_ttl_seconds),
            refresh_ttl=timedelta(seconds=settings.jwt_refresh_ttl_seconds),
        ),
        limiter=limiter,
        attempts=LimiterAttemptBudget(
            limiter,
            limit=settings.ratelimit_login_email,
            secret=settings.jwt_secret_key.encode(),
            enabled=settings.ratelimit_enabled,
        ),
        readiness_checks=checks,
    )


def install(app: Flask, built: Container) -> None:
    app.extensions[_EXTENSION] = built


def container() -> Container:
    """The current app's container."""
    built: Container = current_app.extensions[_EXTENSION]
    return built
