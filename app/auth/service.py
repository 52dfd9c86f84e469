"""Login, refresh rotation with reuse detection, logout and session housekeeping."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from uuid6 import uuid7

from app.auth.device_tokens import DeviceTokens
from app.auth.errors import (
    AccountDisabled,
    EmailUnverified,
    InvalidCredentials,
    InvalidOtp,
    MfaRequired,
    MfaTokenInvalid,
    SessionNotFound,
    TokenExpired,
    TokenReused,
    TokenRevoked,
)
from app.auth.mfa_repository import MfaRepository
from app.auth.mfa_service import OTP_METHOD, CodeCheck
from app.auth.models import AuthSession, MfaChallenge, methods_of, stored_methods
from app.auth.repository import SessionRepository
from app.domain.attempts import (
    AttemptBudget,
    DeviceAttemptBudget,
    LoginBudgets,
    SessionAttemptBudget,
    TooManyAttempts,
)
from app.domain.audit import AuditTrail
from app.domain.clients import Client
from app.domain.clock import utcnow
from app.domain.emails import normalize_email
from app.domain.passwords import PasswordHasher
from app.domain.principal import Principal
from app.domain.reauthentication import InvalidCurrentPassword
from app.domain.second_factor import NoSecondFactor, SecondFactor
from app.domain.unit_of_work import UnitOfWork
from app.users.models import User
from app.users.repository import UserRepository

# The RFC 8176 method every session proves first: the password.
PASSWORD_METHOD = "pwd"  # noqa: S105 - an RFC 8176 method name, not a secret


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    # Seconds until the refresh token (and its session's current window) lapses: the cookie's Max-Age.
    refresh_expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - a scheme name, not a secret
    # Only when a sign-in completes (never on refresh): the client's proof it is a known device.
    device_token: str | None = None
    device_expires_in: int = 0


@dataclass(frozen=True, slots=True)
class AccessToken:
    """An access token alone, for a session that keeps its refresh token (reauthentication)."""

    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - a scheme name, not a secret


@dataclass(frozen=True, slots=True)
class RefreshClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    jti: str


@dataclass(frozen=True, slots=True)
class SessionView:
    """One of the caller's sessions, as the caller may see it."""

    id: uuid.UUID
    created_at: datetime
    # The last login or refresh: access tokens are not recorded per request.
    last_used_at: datetime
    expires_at: datetime
    user_agent: str | None
    client_address: str | None
    current: bool


class AuthUnitOfWork(UnitOfWork, Protocol):
    """The repositories authentication reads and writes, in one transaction."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def mfa(self) -> MfaRepository: ...

    @property
    def audit(self) -> AuditTrail: ...


class TokenIssuer(Protocol):
    def issue(
        self,
        *,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        refresh_jti: str,
        refresh_ttl: timedelta,
        auth_time: datetime,
        amr: tuple[str, ...],
    ) -> TokenPair: ...

    def issue_access(
        self, *, user_id: uuid.UUID, session_id: uuid.UUID, auth_time: datetime, amr: tuple[str, ...]
    ) -> AccessToken: ...


def token_hash(jti: str) -> str:
    return hashlib.sha256(jti.encode()).hexdigest()


def new_jti() -> str:
    return secrets.token_urlsafe(24)


class AuthService:
    def __init__(
        self,
        *,
        uow: AuthUnitOfWork,
        hasher: PasswordHasher,
        attempts: AttemptBudget,
        issuer: TokenIssuer,
        refresh_ttl: timedelta,
        session_lifetime: timedelta,
        reuse_grace: timedelta = timedelta(0),
        require_verified_email: bool = False,
        device_attempts: DeviceAttemptBudget | None = None,
        devices: DeviceTokens | None = None,
        session_attempts: SessionAttemptBudget | None = None,
        second_factor: SecondFactor | None = None,
        codes: CodeCheck | None = None,
        mfa_token_ttl: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._codes = codes
        self._mfa_token_ttl = mfa_token_ttl
        self._require_verified_email = require_verified_email
        self._uow = uow
        self._hasher = hasher
        self._budgets = LoginBudgets(attempts, device_attempts)
        self._devices = devices
        self._session_attempts = session_attempts
        self._second_factor: SecondFactor = second_factor if second_factor is not None else NoSecondFactor()
        self._issuer = issuer
        self._refresh_ttl = refresh_ttl
        self._session_lifetime = session_lifetime
        self._reuse_grace = reuse_grace
        self._clock = clock

    def login(
        self, *, email: str, password: str, client: Client, device_tokens: Sequence[str | None] = ()
    ) -> TokenPair:
        """Check the credentials and open a new session (a new refresh token family).

        The attempt is spent before anything is looked up, so a guess costs the same whether or not
        the account exists, and is given back only for the right password. It is the device's own
        attempt when one of `device_tokens` is valid for this account, else the account's shared one.
        """
        account = normalize_email(email)
        device = self._devices.recognise(account, device_tokens) if self._devices is not None else None
        try:
            self._budgets.spend(account, device)
        except TooManyAttempts:
            self._record_refused_check(account)
            raise
        subject: uuid.UUID | None = None
        try:
            with self._uow as uow:
                user = uow.users.get_by_email(email)
                if user is None:
                    self._hasher.burn(password)
                    raise InvalidCredentials()
                subject = user.id
                if not self._hasher.verify(user.password_hash, password):
                    raise InvalidCredentials()
                self._budgets.refund(account, device)
                if not user.is_active:
                    raise AccountDisabled()
                if self._require_verified_email and not user.email_verified:
                    raise EmailUnverified()
                if self._hasher.needs_rehash(user.password_hash):
                    user.password_hash = self._hasher.hash(password)
                now = self._clock()
                if self._codes is not None and self._has_second_factor(uow, user.id):
                    mfa_token = self._open_challenge(uow, user, now)
                    uow.commit()
                    raise MfaRequired(mfa_token=mfa_token)
                session, jti = self._open_session(uow, user, client, now, (PASSWORD_METHOD,))
                uow.commit()
        except (InvalidCredentials, AccountDisabled, EmailUnverified):
            # The login's own transaction is gone; the failure is recorded in one of its own.
            with self._uow as uow:
                uow.audit.record("login_failed", actor_id=None, subject_id=subject, now=self._clock())
                uow.commit()
            raise
        return self._signed_in(account, self._pair_for(session, jti, now))

    def _open_session(
        self, uow: AuthUnitOfWork, user: User, client: Client, now: datetime, amr: tuple[str, ...]
    ) -> tuple[AuthSession, str]:
        """Open a session (a new refresh token family) proven just now by `amr`; returns it and its
        refresh token's jti. Every step that completes a sign-in opens its session here."""
        jti = new_jti()
        ends_at = now + self._session_lifetime
        session = AuthSession(
            id=uuid7(),
            user_id=user.id,
            refresh_token_hash=token_hash(jti),
            created_at=now,
            rotated_at=now,
            expires_at=min(now + self._refresh_ttl, ends_at),
            ends_at=ends_at,
            client_address=client.address,
            user_agent=client.user_agent,
            authenticated_at=now,
            amr=stored_methods(amr),
        )
        uow.sessions.add(session)
        uow.audit.record("login_succeeded", actor_id=user.id, subject_id=user.id, now=now)
        return session, jti

    def _pair_for(self, session: AuthSession, jti: str, now: datetime) -> TokenPair:
        """The tokens of a session just opened."""
        return self._issuer.issue(
            user_id=session.user_id,
            session_id=session.id,
            refresh_jti=jti,
            refresh_ttl=session.expires_at - now,
            auth_time=session.authenticated_at,
            amr=methods_of(session.amr),
        )

    def verify_second_factor(
        self,
        *,
        mfa_token: str,
        code: str | None = None,
        recovery_code: str | None = None,
        client: Client,
        device_tokens: Sequence[str | None] = (),
    ) -> TokenPair:
        """Complete a login that answered `mfa_required`: one code (TOTP or recovery) for its token.

        A wrong code spends an attempt of the account's budget (the device's own for a known
        device) and leaves the token usable until it expires; the right one spends the code and
        the token in the transaction that opens the session, so of two racing requests one wins.
        """
        codes = self._codes
        if codes is None:
            raise MfaTokenInvalid()
        with self._uow as uow:
            challenge = uow.mfa.find_challenge(token_hash(mfa_token), now=self._clock())
            user = uow.users.get(challenge.user_id) if challenge is not None else None
            if challenge is None or user is None:
                raise MfaTokenInvalid()
            account, user_id, challenge_id = user.email_normalized, user.id, challenge.id
        device = self._devices.recognise(account, device_tokens) if self._devices is not None else None
        try:
            self._budgets.spend(account, device)
        except TooManyAttempts:
            self._record(user_id, "password_check_refused")
            raise
        try:
            with self._uow as uow:
                user = self._live_user(uow, user_id)
                now = self._clock()
                credential = uow.mfa.get_totp(user.id)
                if credential is None or credential.confirmed_at is None:
                    raise MfaTokenInvalid()
                if recovery_code is not None:
                    accepted = codes.recovery_code(uow.mfa, user.id, recovery_code, now=now)
                else:
                    accepted = codes.totp(uow.mfa, credential, code or "", now=now)
                if not accepted:
                    raise InvalidOtp()
                self._budgets.refund(account, device)
                if not uow.mfa.use_challenge(challenge_id, now=now):
                    raise MfaTokenInvalid()
                if recovery_code is not None:
                    uow.audit.record("mfa_recovery_code_used", actor_id=user.id, subject_id=user.id, now=now)
                session, jti = self._open_session(uow, user, client, now, (PASSWORD_METHOD, OTP_METHOD))
                uow.commit()
        except InvalidOtp:
            self._record(user_id, "mfa_code_failed")
            raise
        return self._signed_in(account, self._pair_for(session, jti, now))

    def _live_user(self, uow: AuthUnitOfWork, user_id: uuid.UUID) -> User:
        """The account behind a challenge, still allowed to sign in."""
        user = uow.users.get(user_id)
        if user is None:
            raise MfaTokenInvalid()
        if not user.is_active:
            raise AccountDisabled()
        return user

    @staticmethod
    def _has_second_factor(uow: AuthUnitOfWork, user_id: uuid.UUID) -> bool:
        credential = uow.mfa.get_totp(user_id)
        return credential is not None and credential.confirmed_at is not None

    def _open_challenge(self, uow: AuthUnitOfWork, user: User, now: datetime) -> str:
        """A single-use token for the code still owed; only its SHA-256 is stored."""
        token = secrets.token_urlsafe(32)
        uow.mfa.add_challenge(
            MfaChallenge(
                id=uuid7(),
                user_id=user.id,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + self._mfa_token_ttl,
            )
        )
        return token

    def _record(self, user_id: uuid.UUID, event: str) -> None:
        """A refused attempt, recorded in a transaction of its own."""
        with self._uow as uow:
            uow.audit.record(event, actor_id=None, subject_id=user_id, now=self._clock())
            uow.commit()

    def _signed_in(self, account: str, pair: TokenPair) -> TokenPair:
        """The tokens of a completed sign-in, with a new device token for the client.

        Every step that completes a sign-in ends here: the password step today, and a second-factor
        step (whose own failures would draw on the same device budget) when one exists.
        """
        if self._devices is None:
            return pair
        device = self._devices.issue(account)
        return replace(pair, device_token=device.value, device_expires_in=device.expires_in)

    def _record_refused_check(self, account: str) -> None:
        """A password check the budget refused, recorded in a transaction of its own."""
        with self._uow as uow:
            user = uow.users.get_by_email(account)
            subject = user.id if user is not None else None
            uow.audit.record("password_check_refused", actor_id=None, subject_id=subject, now=self._clock())
            uow.commit()

    def refresh(self, claims: RefreshClaims, client: Client) -> TokenPair:
        """Rotate the session's refresh token; a token already rotated revokes the whole family.

        The one exception is the token just rotated, presented again within the grace by the same
        client (address and User-Agent) that rotated it: a retry or a second tab, refused without
        harm. Presented by anyone else, it is a thief's replay or a thief's rotation, and the family
        goes.
        """
        now = self._clock()
        jti = new_jti()
        presented = token_hash(claims.jti)
        with self._uow as uow:
            rotated = uow.sessions.rotate(
                claims.session_id,
                presented_hash=presented,
                new_hash=token_hash(jti),
                now=now,
                expires_at=now + self._refresh_ttl,
                client=client,
            )
            if rotated is not None:
                uow.commit()
                # The session's last proof of the password, not this refresh: refreshing proves nothing.
                return self._issuer.issue(
                    user_id=claims.user_id,
                    session_id=claims.session_id,
                    refresh_jti=jti,
                    refresh_ttl=rotated.expires_at - now,
                    auth_time=rotated.authenticated_at,
                    amr=rotated.amr,
                )
            session = uow.sessions.get(claims.session_id)
            if session is None or session.revoked_at is not None:
                raise TokenRevoked()
            if session.expires_at <= now:
                raise TokenExpired()
            if self._is_concurrent_retry(session, presented, now, client):
                # The same client refreshing twice at once (two tabs, a retry): the winner's new tokens
                # stay valid and this request is simply refused, and recorded: the grace trusts the
                # address and User-Agent only, so every use of it stays visible in the audit trail.
                uow.audit.record("refresh_grace_used", actor_id=None, subject_id=claims.user_id, now=now)
                uow.commit()
                raise TokenRevoked("This refresh token was just rotated; use the newest one.")
            # Signed by us for a live session, yet not its current token: a replay, treated as theft.
            uow.sessions.revoke(claims.session_id, reason="reuse_detected", now=now)
            uow.audit.record("token_reuse_detected", actor_id=None, subject_id=claims.user_id, now=now)
            uow.commit()
        raise TokenReused()

    def reauthenticate(self, principal: Principal, *, password: str, code: str | None = None) -> AccessToken:
        """Prove the password (and the second factor, where one is on) again within this session: a
        new access token for it, whose `auth_time` is now; later refreshes carry it on.

        The check draws on the session's own budget, as `current_password` does (the same budget:
        both are a signed-in session proving its password): spent before the hash check, given back
        only once the password and the second factor both confirmed.
        """
        try:
            return self._reauthenticate(principal, password=password, code=code)
        except (InvalidCurrentPassword, TooManyAttempts) as refused:
            # The check's transaction is gone; the refused check is recorded in one of its own.
            wrong = isinstance(refused, InvalidCurrentPassword)
            event = "current_password_wrong" if wrong else "password_check_refused"
            with self._uow as uow:
                uow.audit.record(
                    event, actor_id=principal.user_id, subject_id=principal.user_id, now=self._clock()
                )
                uow.commit()
            raise

    def _reauthenticate(self, principal: Principal, *, password: str, code: str | None) -> AccessToken:
        if self._session_attempts is None:
            raise RuntimeError("reauthentication needs the sessions' attempt budget")
        with self._uow as uow:
            user = uow.users.get(principal.user_id)
            if user is None:
                raise TokenRevoked()
            account, session = user.email_normalized, str(principal.session_id)
            self._session_attempts.spend(account, session)
            if not self._hasher.verify(user.password_hash, password):
                raise InvalidCurrentPassword()
        # Outside the transaction above: the second factor spends its code in a transaction of its own.
        extra = self._second_factor.confirm(principal.user_id, code)
        self._session_attempts.refund(account, session)
        with self._uow as uow:
            now = self._clock()
            amr = (PASSWORD_METHOD, *extra)
            if not uow.sessions.reauthenticate(
                principal.signed_in_session, authenticated_at=now, amr=amr, now=now
            ):
                raise TokenRevoked()
            uow.audit.record(
                "reauthenticated", actor_id=principal.user_id, subject_id=principal.user_id, now=now
            )
            uow.commit()
        return self._issuer.issue_access(
            user_id=principal.user_id, session_id=principal.signed_in_session, auth_time=now, amr=amr
        )

    def logout(self, principal: Principal) -> None:
        """Revoke the caller's session: its refresh token and every access token naming it."""
        with self._uow as uow:
            now = self._clock()
            uow.sessions.revoke(principal.signed_in_session, reason="logout", now=now)
            uow.audit.record("logout", actor_id=principal.user_id, subject_id=principal.user_id, now=now)
            uow.commit()

    def list_sessions(self, principal: Principal) -> list[SessionView]:
        with self._uow as uow:
            sessions = uow.sessions.list_live(principal.user_id, now=self._clock())
            return [
                SessionView(
                    id=session.id,
                    created_at=session.created_at,
                    last_used_at=session.rotated_at,
                    expires_at=session.expires_at,
                    user_agent=session.user_agent,
                    client_address=session.client_address,
                    current=session.id == principal.session_id,
                )
                for session in sessions
            ]

    def end_session(self, principal: Principal, session_id: uuid.UUID) -> None:
        """End one of the caller's own sessions; any other id is not found (no oracle)."""
        with self._uow as uow:
            now = self._clock()
            if not uow.sessions.revoke_owned(session_id, user_id=principal.user_id, reason="ended", now=now):
                raise SessionNotFound()
            uow.audit.record(
                "session_ended", actor_id=principal.user_id, subject_id=principal.user_id, now=now
            )
            uow.commit()

    def logout_all(self, principal: Principal) -> int:
        """End every session of the caller, the current one included."""
        with self._uow as uow:
            now = self._clock()
            ended = uow.sessions.revoke_all_for_user(
                principal.user_id, except_session_id=None, reason="logout_all", now=now
            )
            uow.audit.record("logout_all", actor_id=principal.user_id, subject_id=principal.user_id, now=now)
            uow.commit()
        return ended

    def purge_sessions(self, *, older_than: timedelta) -> int:
        """Forget sessions that ended (expired or revoked) longer ago than `older_than`, and the
        second-factor login challenges that lapsed as long ago."""
        with self._uow as uow:
            cutoff = self._clock() - older_than
            purged = uow.sessions.purge(ended_before=cutoff)
            uow.mfa.purge_challenges(expired_before=cutoff)
            uow.commit()
        return purged

    def _is_concurrent_retry(
        self, session: AuthSession, presented_hash: str, now: datetime, client: Client
    ) -> bool:
        return (
            session.previous_token_hash == presented_hash
            and now - session.rotated_at < self._reuse_grace
            and (session.client_address, session.user_agent) == (client.address, client.user_agent)
        )
