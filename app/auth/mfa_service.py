"""The TOTP second factor: enrolment, recovery codes, removal, and the check of a code.

A code is spent by the repository's conditional UPDATE in the transaction of the change it
allows, so a code that confirms one request never confirms another. A wrong code spends an
attempt of the account's login budget (the device's own, for a known device at login), and
once that budget is spent even the right code waits: six digits are guessable otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from app.auth.errors import InvalidOtp, MfaAlreadyEnabled, MfaNotEnabled, MfaNotPending, MfaRequired
from app.auth.mfa_repository import MfaRepository
from app.auth.models import TotpCredential
from app.auth.otp import RecoveryCodes, is_totp_code, matching_step, new_secret, provisioning_uri
from app.domain.attempts import LoginBudgets, SessionAttemptBudget, TooManyAttempts
from app.domain.audit import AuditTrail
from app.domain.clock import utcnow
from app.domain.encryption import SecretBox
from app.domain.outbox import Outbox
from app.domain.passwords import PasswordHasher
from app.domain.principal import Principal
from app.domain.reauthentication import InvalidCurrentPassword
from app.domain.unit_of_work import UnitOfWork
from app.mail.messages import SEND_MAIL
from app.mail.notices import SECOND_FACTOR_ADDED, SECOND_FACTOR_REMOVED, addressee, security_notice
from app.users import policy
from app.users.errors import UserNotFound
from app.users.models import User
from app.users.repository import UserRepository
from app.users.service import SessionRevoker

TOTP = "totp"
RECOVERY_CODE = "recovery_code"
# RFC 8176: both kinds of code are one-time passwords.
OTP_METHOD = "otp"


class MfaUnitOfWork(UnitOfWork, Protocol):
    @property
    def users(self) -> UserRepository: ...

    @property
    def mfa(self) -> MfaRepository: ...

    @property
    def sessions(self) -> SessionRevoker: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def audit(self) -> AuditTrail: ...


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    otpauth_uri: str


@dataclass(frozen=True, slots=True)
class MfaStatus:
    totp_enabled: bool
    recovery_codes_remaining: int


class CodeCheck:
    """Whether a presented code is right and unused, spending it if so (in the caller's transaction)."""

    def __init__(self, box: SecretBox, recovery: RecoveryCodes) -> None:
        self._box = box
        self._recovery = recovery

    def totp(self, mfa: MfaRepository, credential: TotpCredential, code: str, *, now: datetime) -> bool:
        step = matching_step(self._box.decrypt(credential.secret_ciphertext), code, now=now)
        return step is not None and mfa.use_step(credential.user_id, step=step)

    def recovery_code(self, mfa: MfaRepository, user_id: uuid.UUID, code: str, *, now: datetime) -> bool:
        code_hash = self._recovery.hash(code)
        return code_hash is not None and mfa.use_recovery_code(user_id, code_hash, now=now)

    def either(
        self, mfa: MfaRepository, credential: TotpCredential, code: str, *, now: datetime
    ) -> str | None:
        """TOTP for six digits, else a recovery code: the method that confirmed, or None."""
        if is_totp_code(code):
            return TOTP if self.totp(mfa, credential, code, now=now) else None
        return RECOVERY_CODE if self.recovery_code(mfa, credential.user_id, code, now=now) else None

    def new_recovery_codes(self, mfa: MfaRepository, user_id: uuid.UUID, *, now: datetime) -> list[str]:
        """Ten new codes, replacing every earlier one; only their hashes are stored."""
        codes = self._recovery.generate()
        hashes = [self._recovery.hash(code) for code in codes]
        mfa.replace_recovery_codes(user_id, [h for h in hashes if h is not None], now=now)
        return codes

    @property
    def box(self) -> SecretBox:
        return self._box


class TotpService:
    def __init__(
        self,
        *,
        uow: MfaUnitOfWork,
        hasher: PasswordHasher,
        codes: CodeCheck,
        budgets: LoginBudgets,
        session_attempts: SessionAttemptBudget,
        issuer: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._codes = codes
        self._budgets = budgets
        self._session_attempts = session_attempts
        self._issuer = issuer
        self._clock = clock

    def enrol(self, actor: Principal, password: str) -> Enrolment:
        """A new pending secret for the caller; nothing changes at login until a code confirms it."""
        with self._refused_recorded(actor), self._uow as uow:
            user = self._user(actor.user_id)
            self._check_password(actor, user, password)
            credential = uow.mfa.get_totp(user.id)
            if credential is not None and credential.confirmed_at is not None:
                raise MfaAlreadyEnabled()
            secret = new_secret()
            now = self._clock()
            uow.mfa.start_enrolment(user.id, secret_ciphertext=self._codes.box.encrypt(secret), now=now)
            uow.audit.record("mfa_enrolment_started", actor_id=user.id, subject_id=user.id, now=now)
            uow.commit()
        return Enrolment(
            secret=secret, otpauth_uri=provisioning_uri(secret, account=user.email, issuer=self._issuer)
        )

    def confirm_enrolment(self, actor: Principal, code: str) -> list[str]:
        """Turn the pending secret on with a first code from it; the recovery codes are shown once."""
        with self._refused_recorded(actor), self._uow as uow:
            user = self._user(actor.user_id)
            credential = uow.mfa.get_totp(user.id)
            if credential is None or credential.confirmed_at is not None:
                raise MfaNotPending()
            now = self._clock()
            self._budgets.spend(user.email_normalized, None)
            step = matching_step(self._codes.box.decrypt(credential.secret_ciphertext), code, now=now)
            if step is None:
                raise InvalidOtp()
            if not uow.mfa.confirm_enrolment(user.id, step=step, now=now):
                raise MfaNotPending()
            self._budgets.refund(user.email_normalized, None)
            codes = self._codes.new_recovery_codes(uow.mfa, user.id, now=now)
            uow.audit.record("mfa_enabled", actor_id=user.id, subject_id=user.id, now=now)
            self._notify(user, SECOND_FACTOR_ADDED, now)
            uow.commit()
        return codes

    def status(self, actor: Principal) -> MfaStatus:
        with self._uow as uow:
            credential = uow.mfa.get_totp(actor.user_id)
            enabled = credential is not None and credential.confirmed_at is not None
            remaining = uow.mfa.count_recovery_codes(actor.user_id) if enabled else 0
        return MfaStatus(totp_enabled=enabled, recovery_codes_remaining=remaining)

    def regenerate_recovery_codes(self, actor: Principal, password: str, code: str) -> list[str]:
        """Ten new recovery codes; every earlier one, used or not, stops working."""
        with self._refused_recorded(actor), self._uow as uow:
            user = self._user(actor.user_id)
            self._check_password(actor, user, password)
            now = self._clock()
            self._confirm_code(user, code, now)
            codes = self._codes.new_recovery_codes(uow.mfa, user.id, now=now)
            uow.audit.record("mfa_recovery_codes_regenerated", actor_id=user.id, subject_id=user.id, now=now)
            uow.commit()
        return codes

    def disable(self, actor: Principal, password: str, code: str) -> None:
        """Turn the second factor off; every other session of the account ends with it."""
        with self._refused_recorded(actor), self._uow as uow:
            user = self._user(actor.user_id)
            self._check_password(actor, user, password)
            now = self._clock()
            self._confirm_code(user, code, now)
            uow.mfa.remove(user.id)
            uow.sessions.revoke_all_for_user(
                user.id, except_session_id=actor.session_id, reason="second_factor_removed", now=now
            )
            uow.audit.record("mfa_disabled", actor_id=user.id, subject_id=user.id, now=now)
            self._notify(user, SECOND_FACTOR_REMOVED, now)
            uow.commit()

    def remove_by_admin(self, actor: Principal, user_id: uuid.UUID) -> None:
        """Remove a user's second factor, as an admin (a lost phone and lost codes); idempotent."""
        policy.ensure_admin(actor)
        with self._uow as uow:
            user = self._user(user_id)
            now = self._clock()
            if uow.mfa.remove(user.id):
                uow.audit.record("mfa_removed_by_admin", actor_id=actor.user_id, subject_id=user.id, now=now)
                self._notify(user, SECOND_FACTOR_REMOVED, now)
            uow.commit()

    def confirm(self, user_id: uuid.UUID, code: str | None) -> tuple[str, ...]:
        """The SecondFactor port: a TOTP or recovery code of a signed-in account, spent if right."""
        with self._refused_recorded(None, subject_id=user_id), self._uow as uow:
            credential = uow.mfa.get_totp(user_id)
            if credential is None or credential.confirmed_at is None:
                return ()
            if code is None:
                raise MfaRequired()
            self._confirm_code(self._user(user_id), code, self._clock())
            uow.commit()
        return (OTP_METHOD,)

    def _confirm_code(self, user: User, code: str, now: datetime) -> None:
        """Spend an attempt, then the code (TOTP or recovery); the attempt comes back if it was right."""
        uow = self._uow
        credential = uow.mfa.get_totp(user.id, lock=True)
        if credential is None or credential.confirmed_at is None:
            raise MfaNotEnabled()
        self._budgets.spend(user.email_normalized, None)
        method = self._codes.either(uow.mfa, credential, code, now=now)
        if method is None:
            raise InvalidOtp()
        self._budgets.refund(user.email_normalized, None)
        if method == RECOVERY_CODE:
            uow.audit.record("mfa_recovery_code_used", actor_id=user.id, subject_id=user.id, now=now)

    def _check_password(self, actor: Principal, user: User, password: str) -> None:
        """The caller's password, on its session's budget (as a `current_password` check is)."""
        account, session = user.email_normalized, str(actor.signed_in_session)
        self._session_attempts.spend(account, session)
        if not self._hasher.verify(user.password_hash, password):
            raise InvalidCurrentPassword()
        self._session_attempts.refund(account, session)

    def _user(self, user_id: uuid.UUID) -> User:
        user = self._uow.users.get(user_id)
        if user is None:
            raise UserNotFound()
        return user

    def _notify(self, user: User, event: str, now: datetime) -> None:
        notice = security_notice(
            event, to=user.email, name=addressee(user.name, verified=user.email_verified), when=now
        )
        self._uow.outbox.add(SEND_MAIL, notice, now=now)

    def _refused_recorded(self, actor: Principal | None, *, subject_id: uuid.UUID | None = None) -> _Refusals:
        subject = subject_id if actor is None else actor.user_id
        return _Refusals(
            self._uow,
            actor_id=None if actor is None else actor.user_id,
            subject_id=subject,
            clock=self._clock,
        )


class _Refusals:
    """Record a refused password or code in a transaction of its own: the change's is gone."""

    _EVENTS: ClassVar[dict[type[Exception], str]] = {
        InvalidCurrentPassword: "current_password_wrong",
        InvalidOtp: "mfa_code_failed",
        TooManyAttempts: "password_check_refused",
    }

    def __init__(
        self,
        uow: MfaUnitOfWork,
        *,
        actor_id: uuid.UUID | None,
        subject_id: uuid.UUID | None,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._actor_id = actor_id
        self._subject_id = subject_id
        self._clock = clock

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        event = next((name for kind, name in self._EVENTS.items() if isinstance(exc, kind)), None)
        if event is None:
            return
        with self._uow as uow:
            uow.audit.record(event, actor_id=self._actor_id, subject_id=self._subject_id, now=self._clock())
            uow.commit()
