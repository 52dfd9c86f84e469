"""The composition root: the one place that knows every concrete adapter.

`build_container` makes the process's adapters once per app (settings, password hasher, token
issuer, limiter, readiness checks); the container then builds each request's services over the
request's database session. Routes, the JWT guard and the CLI ask `container()` and nothing else.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import redis
import sqlalchemy as sa
from dramatiq.common import compute_backoff
from flask import Flask, current_app, has_request_context, request
from sqlalchemy.orm import Session

from app.api_keys.repository import SqlApiKeyRepository
from app.api_keys.service import ApiKeyCallers, ApiKeyService
from app.audit.repository import AuditContext, SqlAuditTrail
from app.audit.service import AuditService
from app.auth import callers
from app.auth.device_tokens import DeviceTokens
from app.auth.mfa_repository import SqlMfaRepository
from app.auth.mfa_service import CodeCheck, TotpService
from app.auth.otp import RecoveryCodes
from app.auth.password_reset import RESET_REQUESTED, PasswordResetService
from app.auth.repository import SqlSessionRepository
from app.auth.reset_tokens import SqlResetTokenRepository
from app.auth.service import AuthService
from app.auth.tokens import JwtTokenIssuer
from app.config import Settings
from app.domain.api_keys import ApiKeyHasher
from app.domain.attempts import AttemptBudget, DeviceAttemptBudget, LoginBudgets, SessionAttemptBudget
from app.domain.clients import stored_user_agent
from app.domain.clock import utcnow
from app.domain.encryption import SecretBox
from app.domain.idempotency import IdempotencyService, IdempotencyStore, RequestFingerprints
from app.domain.passwords import Argon2PasswordHasher, PasswordHasher
from app.domain.principal import Principal
from app.domain.second_factor import SecondFactor
from app.extensions import db
from app.health.checks import ping_database
from app.idempotency.redis_store import RedisIdempotencyStore
from app.idempotency.repository import SqlIdempotencyStore
from app.jobs.key_rotation import KeyRotation
from app.jobs.queue import JobQueue, make_broker
from app.jobs.sweep import Sweeper
from app.keys.keyset import KeySet, StoredKey
from app.keys.repository import SqlSigningKeyRepository
from app.keys.service import SigningKeyService
from app.mail.delivery import mail_handler
from app.mail.log_sender import LogSender
from app.mail.messages import SEND_MAIL, MailSender
from app.mail.smtp import SmtpEndpoint, SmtpSender
from app.observability import metrics
from app.observability.context import current_request_id
from app.outbox.repository import SqlOutboxRepository
from app.outbox.service import OutboxProcessor
from app.persistence.encryption import FernetSecretBox, derived_key
from app.persistence.unit_of_work import SqlUnitOfWork
from app.users import repository as user_repository
from app.users.repository import SqlUserRepository
from app.users.service import UserService
from app.users.verification import EmailVerification, EmailVerificationTokens
from app.web.attempt_budget import LimiterAttemptBudget, LimiterDeviceBudget, LimiterSessionBudget
from app.web.rate_limits import storage_check

if TYPE_CHECKING:
    from flask_limiter import Limiter

ReadinessCheck = Callable[[], None]
MAX_BACKOFF_MS = 3_600_000

_EXTENSION = "keel"


class KeelUnitOfWork(SqlUnitOfWork):
    """One request's (or job's) transaction and every repository over it.

    Outbox messages recorded in it are handed to the job queue once it commits, and dropped with
    it when it rolls back; rows never handed over (a crash in between) are found by the sweep.
    """

    def __init__(
        self, session: Session, *, publish: Callable[[list[uuid.UUID]], None], owns_session: bool = False
    ) -> None:
        super().__init__(session, constraint_errors={**user_repository.CONSTRAINT_ERRORS})
        self._owns_session = owns_session
        self.users = SqlUserRepository(session)
        self.sessions = SqlSessionRepository(session)
        self.reset_tokens = SqlResetTokenRepository(session)
        self.mfa = SqlMfaRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.audit = SqlAuditTrail(session, context=audit_context)
        self.signing_keys = SqlSigningKeyRepository(session)
        self.api_keys = SqlApiKeyRepository(session)
        # make resource: generated repositories above this line
        self._publish = publish

    def commit(self) -> None:
        super().commit()
        self._publish(self.outbox.take_new())

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, tb)
        self.outbox.take_new()
        if self._owns_session:
            self.session.close()


@dataclass(frozen=True, kw_only=True)
class Container:
    settings: Settings
    hasher: PasswordHasher
    tokens: JwtTokenIssuer
    limiter: Limiter
    attempts: AttemptBudget
    device_attempts: DeviceAttemptBudget
    session_attempts: SessionAttemptBudget
    readiness_checks: Mapping[str, ReadinessCheck]
    reset_requests: AttemptBudget
    mail_per_recipient: AttemptBudget
    mail_sender: MailSender
    jobs: JobQueue
    idempotency_store: IdempotencyStore
    secret_box: SecretBox
    keys: KeySet
    clock: Callable[[], datetime] = field(default=utcnow)

    def unit_of_work(self) -> KeelUnitOfWork:
        return KeelUnitOfWork(db.session(), publish=self.jobs.publish)

    def job_unit_of_work(self) -> KeelUnitOfWork:
        """A job's own session and connection, closed when its block ends: a job's transaction is
        never the request's, even when both run in one process."""
        return KeelUnitOfWork(
            Session(db.engine, expire_on_commit=False), publish=self.jobs.publish, owns_session=True
        )

    def password_reset_service(self) -> PasswordResetService:
        settings = self.settings
        return PasswordResetService(
            uow=self.unit_of_work(),
            hasher=self.hasher,
            requests_per_email=self.reset_requests,
            ttl=timedelta(seconds=settings.password_reset_ttl_seconds),
            link=lambda token: f"{settings.frontend_url}/reset-password?{urlencode({'token': token})}",
            login_attempts=LoginBudgets(self.attempts, self.device_attempts, self.session_attempts),
            clock=self.clock,
        )

    def outbox_processor(self) -> OutboxProcessor:
        base_ms = int(self.settings.mail_retry_base_seconds * 1000)
        return OutboxProcessor(
            unit_of_work=self.job_unit_of_work,
            handlers={
                RESET_REQUESTED: self.password_reset_service().issue,
                SEND_MAIL: mail_handler(
                    self.mail_sender, budget=self.mail_per_recipient, on_drop=metrics.mail_dropped
                ),
            },
            max_attempts=self.settings.mail_max_attempts,
            backoff=lambda attempts: timedelta(
                milliseconds=compute_backoff(attempts - 1, factor=base_ms, max_backoff=MAX_BACKOFF_MS)[1]
            ),
            clock=self.clock,
        )

    def sweeper(self) -> Sweeper:
        """The sweep of pending messages whose queue entry was lost; each pass in its own transaction."""

        def find_due(before: datetime) -> list[uuid.UUID]:
            with self.job_unit_of_work() as uow:
                ids = uow.outbox.due(before=before, now=self.clock(), limit=500)
                uow.commit()
            return ids

        def count_pending() -> int:
            with self.job_unit_of_work() as uow:
                return uow.outbox.count("pending")

        return Sweeper(
            find_due=find_due,
            count_pending=count_pending,
            publish=self.jobs.publish,
            clock=self.clock,
            grace=timedelta(seconds=self.settings.outbox_sweep_grace_seconds),
            interval_seconds=self.settings.outbox_sweep_interval_seconds,
        )

    def key_rotation(self) -> KeyRotation:
        """The worker's scheduled rotation; each check in a transaction of its own."""
        every = timedelta(days=self.settings.jwt_key_rotation_days)

        def rotate_if_due() -> str | None:
            key = self.signing_key_service(uow=self.job_unit_of_work()).rotate_if_due(every)
            return None if key is None else key.kid

        return KeyRotation(rotate_if_due=rotate_if_due)

    def user_service(self) -> UserService:
        return UserService(
            uow=self.unit_of_work(),
            hasher=self.hasher,
            session_attempts=self.session_attempts,
            verification=self.email_verification(),
            reauth_max_age=timedelta(seconds=self.settings.reauth_max_age_seconds),
            clock=self.clock,
        )

    def api_key_service(self) -> ApiKeyService:
        return ApiKeyService(
            uow=self.unit_of_work(),
            hasher=self.api_key_hasher(),
            reauth_max_age=timedelta(seconds=self.settings.reauth_max_age_seconds),
            clock=self.clock,
        )

    def api_key_hasher(self) -> ApiKeyHasher:
        return ApiKeyHasher(self.settings.jwt_secret_key)

    def load_api_key_caller(self, presented: str) -> Principal | None:
        """The per-request caller behind an API key (see app.api_keys.service.ApiKeyCallers)."""
        return ApiKeyCallers(uow=self.unit_of_work(), hasher=self.api_key_hasher(), clock=self.clock).load(
            presented
        )

    # make resource: generated services above this line

    def idempotency(self) -> IdempotencyService:
        return IdempotencyService(
            self.idempotency_store,
            fingerprints=RequestFingerprints(self.settings.jwt_secret_key.encode()),
            ttl=timedelta(seconds=self.settings.idempotency_ttl_seconds),
            lock=timedelta(seconds=self.settings.idempotency_lock_seconds),
            clock=self.clock,
        )

    def signing_key_service(self, *, uow: KeelUnitOfWork | None = None) -> SigningKeyService:
        return SigningKeyService(
            uow=uow or self.unit_of_work(),
            box=self.secret_box,
            algorithm=self.settings.jwt_access_algorithm,
            activation_delay=timedelta(seconds=self.settings.jwt_key_activation_seconds),
            access_ttl=self.tokens.access_ttl,
            on_change=self.keys.invalidate,
            clock=self.clock,
        )

    def audit_service(self) -> AuditService:
        return AuditService(uow=self.unit_of_work(), clock=self.clock)

    def email_verification(self) -> EmailVerification:
        settings = self.settings
        return EmailVerification(
            EmailVerificationTokens(
                settings.jwt_secret_key,
                ttl=timedelta(seconds=settings.email_verification_ttl_seconds),
                clock=self.clock,
            ),
            link=lambda token: f"{settings.frontend_url}/verify-email?{urlencode({'token': token})}",
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
            require_verified_email=self.settings.require_verified_email,
            device_attempts=self.device_attempts,
            devices=self.device_tokens(),
            session_attempts=self.session_attempts,
            second_factor=self.second_factor(),
            codes=self.code_check(),
            mfa_token_ttl=timedelta(seconds=self.settings.mfa_token_ttl_seconds),
            clock=self.clock,
        )

    def code_check(self) -> CodeCheck:
        return CodeCheck(self.secret_box, RecoveryCodes(self.settings.jwt_secret_key))

    def totp_service(self) -> TotpService:
        return TotpService(
            uow=self.unit_of_work(),
            hasher=self.hasher,
            codes=self.code_check(),
            budgets=LoginBudgets(self.attempts, self.device_attempts),
            session_attempts=self.session_attempts,
            issuer=self.settings.mfa_issuer,
            clock=self.clock,
        )

    def second_factor(self) -> SecondFactor:
        """What reauthentication confirms: the account's TOTP or one of its recovery codes."""
        return self.totp_service()

    def device_tokens(self) -> DeviceTokens:
        return DeviceTokens(
            self.settings.jwt_secret_key,
            ttl=timedelta(seconds=self.settings.device_token_ttl_seconds),
            clock=self.clock,
        )

    def load_caller(
        self,
        *,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        auth_time: datetime | None = None,
        amr: tuple[str, ...] = (),
    ) -> Principal | None:
        """The per-request caller behind an access token (see app.auth.callers)."""
        sessions = SqlSessionRepository(db.session())
        return callers.load_caller(
            sessions, user_id=user_id, session_id=session_id, now=self.clock(), auth_time=auth_time, amr=amr
        )


def build_container(settings: Settings, *, app: Flask, limiter: Limiter, engine: sa.Engine) -> Container:
    """Make the process's adapters once; a new app (a test, a worker) gets its own."""
    checks: dict[str, ReadinessCheck] = {"database": ping_database(engine)}
    secret_box = FernetSecretBox(settings.data_encryption_keys or (derived_key(settings.jwt_secret_key),))
    keys = KeySet(_stored_keys, box=secret_box, max_age_seconds=settings.jwt_key_cache_seconds)
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
            keys=keys,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            key_clock=lambda: container().clock(),
        ),
        limiter=limiter,
        attempts=LimiterAttemptBudget(
            limiter,
            limit=settings.ratelimit_login_email,
            secret=settings.jwt_secret_key.encode(),
            enabled=settings.ratelimit_enabled,
        ),
        device_attempts=LimiterDeviceBudget(
            limiter,
            limit=settings.ratelimit_login_device,
            secret=settings.jwt_secret_key.encode(),
            enabled=settings.ratelimit_enabled,
        ),
        # A signed-in session, like a known device, proved the password once: the same allowance.
        session_attempts=LimiterSessionBudget(
            limiter,
            limit=settings.ratelimit_login_device,
            secret=settings.jwt_secret_key.encode(),
            enabled=settings.ratelimit_enabled,
        ),
        readiness_checks=checks,
        reset_requests=LimiterAttemptBudget(
            limiter,
            limit=settings.ratelimit_password_reset_email,
            secret=settings.jwt_secret_key.encode(),
            enabled=settings.ratelimit_enabled,
            purpose="password reset requests",
        ),
        mail_per_recipient=LimiterAttemptBudget(
            limiter,
            limit=f"{settings.mail_per_recipient_per_hour} per hour",
            secret=settings.jwt_secret_key.encode(),
            enabled=settings.ratelimit_enabled,
            purpose="mail per recipient",
        ),
        mail_sender=_mail_sender(settings),
        jobs=JobQueue(
            make_broker(settings.redis_url, app=app, timeout_seconds=settings.redis_timeout_seconds),
            process=lambda message_id: container().outbox_processor().process(message_id),
            in_process=settings.redis_url is None,
        ),
        idempotency_store=_idempotency_store(settings, engine),
        secret_box=secret_box,
        keys=keys,
    )


def _stored_keys() -> list[StoredKey]:
    """The signing keys, read in the caller's session (a request's, or the CLI's)."""
    rows = SqlSigningKeyRepository(db.session()).all()
    return [StoredKey(row.times(), row.public_jwk, row.private_key_ciphertext) for row in rows]


def _idempotency_store(settings: Settings, engine: sa.Engine) -> IdempotencyStore:
    """Redis when the deployment has it (keys expire on their own), else the database."""
    if settings.redis_url is None:
        return SqlIdempotencyStore(engine)
    timeout = settings.redis_timeout_seconds
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
    return RedisIdempotencyStore(client)


def audit_context() -> AuditContext:
    """The request's client and id for an audit event; none outside a request (a job, the CLI)."""
    if not has_request_context():
        return AuditContext(request_id=current_request_id())
    return AuditContext(
        client_address=request.remote_addr,
        user_agent=stored_user_agent(request.headers.get("User-Agent")),
        request_id=current_request_id(),
    )


def _mail_sender(settings: Settings) -> MailSender:
    if settings.smtp_url is None:
        return LogSender()
    return SmtpSender(
        SmtpEndpoint.parse(settings.smtp_url),
        sender=settings.mail_from,
        timeout_seconds=settings.smtp_timeout_seconds,
    )


def install(app: Flask, built: Container) -> None:
    app.extensions[_EXTENSION] = built


def container() -> Container:
    """The current app's container."""
    built: Container = current_app.extensions[_EXTENSION]
    return built
