"""In-memory stand-ins for the ports services depend on: no database, no Flask.

Each fake keeps the observable behaviour of its SQL adapter (uniqueness, version bumps on change,
conditional rotation, cascade on user deletion) so service rules can be tested against it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from uuid6 import uuid7

from app.auth.mfa_repository import MfaRepository
from app.auth.models import AuthSession, MfaChallenge, TotpCredential, methods_of, stored_methods
from app.auth.repository import Rotation, SessionRepository
from app.auth.service import AccessToken, AuthUnitOfWork, TokenIssuer, TokenPair
from app.domain.attempts import AttemptBudget, TooManyAttempts
from app.domain.audit import AuditTrail
from app.domain.clients import Client
from app.domain.emails import normalize_email
from app.domain.outbox import Outbox
from app.domain.pagination import Cursor
from app.domain.passwords import PasswordHasher
from app.domain.principal import Principal
from app.users.errors import EmailTaken
from app.users.models import User
from app.users.repository import UserRepository
from app.users.service import UsersUnitOfWork
from tests.support.fake_tables import FakeLog, FakeTable, FakeTransaction, VersionedFakeTable, newest_first

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
# The client that logs in and refreshes in service tests, and another one holding a stolen token.
CLIENT = Client(address="198.51.100.7", user_agent="KeelTest/1.0")
THIEF = Client(address="203.0.113.66", user_agent="KeelTest/1.0")
DEFAULT_PASSWORD = "Quiet-Harbour-Lantern-42"


class FakeClock:
    """The current time, moved only by the test."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


class FakePasswordHasher:
    """Reversible 'hashes' tagged with the cost parameters; changing `params` outdates old hashes."""

    def __init__(self, params: str = "v1") -> None:
        self.params = params
        self.hashed: list[str] = []
        self.verified: list[tuple[str, str]] = []
        self.burned: list[str] = []

    def hash(self, password: str) -> str:
        self.hashed.append(password)
        return f"fake${self.params}${password}"

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append((password_hash, password))
        scheme, _, rest = password_hash.partition("$")
        _params, sep, stored = rest.partition("$")
        return scheme == "fake" and sep == "$" and stored == password

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"fake${self.params}$")

    def burn(self, password: str) -> None:
        self.burned.append(password)


class FakeAttemptBudget:
    """A per-account allowance in a dict: the same contract as the limiter-backed budget."""

    def __init__(self, limit: int = 10, window_seconds: int = 900) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.spent: dict[str, int] = {}

    def spend(self, account: str) -> None:
        key = normalize_email(account)
        if self.spent.get(key, 0) >= self.limit:
            raise TooManyAttempts(retry_after_seconds=self.window_seconds)
        self.spent[key] = self.spent.get(key, 0) + 1

    def refund(self, account: str) -> None:
        key = normalize_email(account)
        self.spent[key] = max(0, self.spent.get(key, 0) - 1)

    def clear(self, account: str) -> None:
        self.spent.pop(normalize_email(account), None)


class FakeSessionBudget:
    """A budget per (account, session) in a dict: the same contract as the limiter-backed one."""

    def __init__(self, limit: int = 10, window_seconds: int = 900) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.spent: dict[tuple[str, str], int] = {}

    def spend(self, account: str, session: str) -> None:
        key = (normalize_email(account), session)
        if self.spent.get(key, 0) >= self.limit:
            raise TooManyAttempts(retry_after_seconds=self.window_seconds)
        self.spent[key] = self.spent.get(key, 0) + 1

    def refund(self, account: str, session: str) -> None:
        key = (normalize_email(account), session)
        self.spent[key] = max(0, self.spent.get(key, 0) - 1)

    def clear(self, account: str) -> None:
        self.spent = {key: n for key, n in self.spent.items() if key[0] != normalize_email(account)}


@dataclass(frozen=True)
class IssuedTokens:
    user_id: uuid.UUID
    session_id: uuid.UUID
    refresh_jti: str
    refresh_ttl: timedelta
    auth_time: datetime
    amr: tuple[str, ...]


@dataclass(frozen=True)
class IssuedAccess:
    """An access token issued alone (reauthentication): no refresh token, the session's own id."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    auth_time: datetime
    amr: tuple[str, ...]


class FakeTokenIssuer:
    def __init__(self, expires_in: int = 900) -> None:
        self.expires_in = expires_in
        self.issued: list[IssuedTokens] = []
        self.accesses: list[IssuedAccess] = []

    def issue(
        self,
        *,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        refresh_jti: str,
        refresh_ttl: timedelta,
        auth_time: datetime,
        amr: tuple[str, ...],
    ) -> TokenPair:
        self.issued.append(
            IssuedTokens(
                user_id=user_id,
                session_id=session_id,
                refresh_jti=refresh_jti,
                refresh_ttl=refresh_ttl,
                auth_time=auth_time,
                amr=amr,
            )
        )
        n = len(self.issued)
        return TokenPair(
            access_token=f"access-{n}",
            refresh_token=f"refresh-{n}",
            expires_in=self.expires_in,
            refresh_expires_in=int(refresh_ttl.total_seconds()),
        )

    def issue_access(
        self, *, user_id: uuid.UUID, session_id: uuid.UUID, auth_time: datetime, amr: tuple[str, ...]
    ) -> AccessToken:
        self.accesses.append(
            IssuedAccess(user_id=user_id, session_id=session_id, auth_time=auth_time, amr=amr)
        )
        return AccessToken(access_token=f"reauthenticated-{len(self.accesses)}", expires_in=self.expires_in)


def _unique_violation(column: str) -> IntegrityError:
    return IntegrityError("INSERT", {}, Exception(f"UNIQUE constraint failed: {column}"))


class FakeUserRepository(VersionedFakeTable[User]):
    """Users; a duplicate email is EmailTaken, as uq_users_email_normalized makes it."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        super().__init__(User, clock or FakeClock())

    def get_by_email(self, email: str) -> User | None:
        wanted = normalize_email(email)
        return next((u for u in self._rows.values() if u.email_normalized == wanted), None)

    def add(self, user: User) -> None:
        self._insert(user)

    def delete(self, user: User) -> None:
        self._remove(user)

    def count_active_admins(self, *, lock: bool = False) -> int:
        """No rows to lock here: that the rule holds them is proven on PostgreSQL
        (tests/integration/users/test_last_admin_lock.py)."""
        return sum(1 for u in self._rows.values() if u.role == "admin" and u.is_active)

    def list_page(
        self, *, limit: int, after: Cursor | None, role: str | None, is_active: bool | None
    ) -> Sequence[User]:
        rows = [
            u
            for u in self._rows.values()
            if (role is None or u.role == role) and (is_active is None or u.is_active is is_active)
        ]
        return newest_first(rows, limit=limit, after=after)

    def bulk_insert(self, rows: Sequence[dict[str, Any]]) -> None:
        users = [User(**row) for row in rows]
        seen = {u.email_normalized for u in self._rows.values()}
        for user in users:
            if user.email_normalized in seen or user.id in self._rows:
                raise _unique_violation("users.email_normalized")
            seen.add(user.email_normalized)
        for user in users:
            self._keep(user)

    def _check(self, user: User) -> None:
        if any(u.email_normalized == user.email_normalized and u.id != user.id for u in self._rows.values()):
            raise EmailTaken()


class FakeSessionRepository(FakeTable[AuthSession]):
    """Refresh sessions; rows of deleted users vanish, as ON DELETE CASCADE makes them."""

    def __init__(self, users: FakeUserRepository) -> None:
        super().__init__(AuthSession, users.clock)
        self._users = users

    def all(self) -> list[AuthSession]:
        return [s for s in self._rows.values() if self._users.get(s.user_id) is not None]

    def add(self, session: AuthSession) -> None:
        if self._users.get(session.user_id) is None:
            raise IntegrityError("INSERT", {}, Exception("FOREIGN KEY constraint failed"))
        if session.id is None:
            session.id = uuid7()
        self._rows[session.id] = session

    def get(self, session_id: uuid.UUID) -> AuthSession | None:
        session = self._rows.get(session_id)
        if session is None or self._users.get(session.user_id) is None:
            return None
        return session

    def rotate(
        self,
        session_id: uuid.UUID,
        *,
        presented_hash: str,
        new_hash: str,
        now: datetime,
        expires_at: datetime,
        client: Client,
    ) -> Rotation | None:
        session = self.get(session_id)
        if (
            session is None
            or session.refresh_token_hash != presented_hash
            or session.revoked_at is not None
            or session.expires_at <= now
        ):
            return None
        session.previous_token_hash = session.refresh_token_hash
        session.refresh_token_hash = new_hash
        session.rotated_at = now
        session.expires_at = min(expires_at, session.ends_at)
        session.client_address, session.user_agent = client.address, client.user_agent
        return Rotation(
            expires_at=session.expires_at,
            authenticated_at=session.authenticated_at,
            amr=methods_of(session.amr),
        )

    def reauthenticate(
        self, session_id: uuid.UUID, *, authenticated_at: datetime, amr: tuple[str, ...], now: datetime
    ) -> bool:
        session = self.get(session_id)
        if session is None or session.revoked_at is not None or session.expires_at <= now:
            return False
        session.authenticated_at = authenticated_at
        session.amr = stored_methods(amr)
        return True

    def purge(self, *, ended_before: datetime) -> int:
        ended = [
            key
            for key, row in self._rows.items()
            if row.expires_at < ended_before or (row.revoked_at is not None and row.revoked_at < ended_before)
        ]
        for key in ended:
            del self._rows[key]
        return len(ended)

    def revoke(self, session_id: uuid.UUID, *, reason: str, now: datetime) -> None:
        session = self.get(session_id)
        if session is not None and session.revoked_at is None:
            session.revoked_at = now
            session.revoked_reason = reason

    def revoke_all_for_user(
        self, user_id: uuid.UUID, *, except_session_id: uuid.UUID | None, reason: str, now: datetime
    ) -> int:
        targets = [
            s
            for s in self.all()
            if s.user_id == user_id and s.revoked_at is None and s.id != except_session_id
        ]
        for session in targets:
            session.revoked_at = now
            session.revoked_reason = reason
        return len(targets)

    def list_live(self, user_id: uuid.UUID, *, now: datetime) -> list[AuthSession]:
        live = [s for s in self.all() if s.user_id == user_id and s.revoked_at is None and s.expires_at > now]
        return sorted(live, key=lambda s: (s.rotated_at, s.id), reverse=True)

    def revoke_owned(self, session_id: uuid.UUID, *, user_id: uuid.UUID, reason: str, now: datetime) -> bool:
        session = self.get(session_id)
        if (
            session is None
            or session.user_id != user_id
            or session.revoked_at is not None
            or session.expires_at <= now
        ):
            return False
        session.revoked_at = now
        session.revoked_reason = reason
        return True

    def find_active_user(self, *, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime) -> User | None:
        user = self._users.get(user_id)
        session = self.get(session_id)
        if user is None or not user.is_active or session is None:
            return None
        if session.user_id != user_id or session.revoked_at is not None or session.expires_at <= now:
            return None
        return user


@dataclass(frozen=True)
class RecordedMessage:
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class RecordedEvent:
    event: str
    actor_id: uuid.UUID | None
    subject_id: uuid.UUID | None


class FakeAuditTrail(FakeLog[RecordedEvent]):
    """Audit events as a list; the fake unit of work drops those of a block that did not commit."""

    def __init__(self) -> None:
        self.events: list[RecordedEvent] = []
        super().__init__(self.events)

    def record(
        self, event: str, *, actor_id: uuid.UUID | None, subject_id: uuid.UUID | None, now: datetime
    ) -> None:
        self.events.append(RecordedEvent(event, actor_id, subject_id))


class FakeOutbox(FakeLog[RecordedMessage]):
    """Outbox messages as a list; the fake unit of work drops those of a block that did not commit."""

    def __init__(self) -> None:
        self.messages: list[RecordedMessage] = []
        super().__init__(self.messages)

    def add(self, kind: str, payload: Mapping[str, Any], *, now: datetime) -> uuid.UUID:
        self.messages.append(RecordedMessage(kind, dict(payload)))
        return uuid.uuid4()


class FakeResetLinks(FakeLog[uuid.UUID]):
    """The reset-link port of the users domain: records whose links were voided."""

    def __init__(self) -> None:
        self.voided: list[uuid.UUID] = []
        super().__init__(self.voided)

    def use_all_for_user(self, user_id: uuid.UUID, *, now: datetime) -> int:
        self.voided.append(user_id)
        return 0


class FakeMfaRepository:
    """The second factor: no account of a fake unit of work has one (its rules are tested on SQL)."""

    def get_totp(self, user_id: uuid.UUID, *, lock: bool = False) -> TotpCredential | None:
        return None

    def start_enrolment(self, user_id: uuid.UUID, *, secret_ciphertext: str, now: datetime) -> None:
        raise NotImplementedError

    def confirm_enrolment(self, user_id: uuid.UUID, *, step: int, now: datetime) -> bool:
        return False

    def use_step(self, user_id: uuid.UUID, *, step: int) -> bool:
        return False

    def remove(self, user_id: uuid.UUID) -> bool:
        return False

    def replace_recovery_codes(self, user_id: uuid.UUID, hashes: Sequence[str], *, now: datetime) -> None:
        raise NotImplementedError

    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, *, now: datetime) -> bool:
        return False

    def count_recovery_codes(self, user_id: uuid.UUID) -> int:
        return 0

    def add_challenge(self, challenge: MfaChallenge) -> None:
        raise NotImplementedError

    def find_challenge(self, token_hash: str, *, now: datetime) -> MfaChallenge | None:
        return None

    def use_challenge(self, challenge_id: uuid.UUID, *, now: datetime) -> bool:
        return False

    def purge_challenges(self, *, expired_before: datetime) -> int:
        return 0


class FakeUnitOfWork(FakeTransaction):
    """Keel's repositories in one fake transaction (see FakeTransaction): a feature's own unit of
    work subclasses it and adds its repository as an attribute, nothing more."""

    def __init__(
        self, users: FakeUserRepository | None = None, sessions: FakeSessionRepository | None = None
    ) -> None:
        super().__init__()
        self.users = users if users is not None else FakeUserRepository()
        self.sessions = sessions if sessions is not None else FakeSessionRepository(self.users)
        self.outbox = FakeOutbox()
        self.audit = FakeAuditTrail()
        self.reset_tokens = FakeResetLinks()
        self.mfa = FakeMfaRepository()


def add_user(
    users: FakeUserRepository,
    hasher: PasswordHasher,
    *,
    role: str = "user",
    is_active: bool = True,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    name: str = "Test User",
) -> User:
    """Store a user the way the service would, with a unique email unless one is given."""
    email = email or f"{role}-{uuid.uuid4().hex[:10]}@example.com"
    user = User(
        email=email,
        email_normalized=normalize_email(email),
        name=name,
        password_hash=hasher.hash(password),
        role=role,
        is_active=is_active,
    )
    users.add(user)
    return user


def open_session(
    sessions: FakeSessionRepository,
    user: User,
    *,
    jti: str,
    now: datetime = START,
    ttl: timedelta = timedelta(days=30),
    lifetime: timedelta = timedelta(days=90),
) -> AuthSession:
    """Store a live refresh session whose current token has the given jti."""
    session = AuthSession(
        id=uuid7(),
        user_id=user.id,
        refresh_token_hash=hashlib.sha256(jti.encode()).hexdigest(),
        created_at=now,
        rotated_at=now,
        expires_at=min(now + ttl, now + lifetime),
        ends_at=now + lifetime,
        client_address=CLIENT.address,
        user_agent=CLIENT.user_agent,
        revoked_at=None,
        revoked_reason=None,
        authenticated_at=now,
        amr="pwd",
    )
    sessions.add(session)
    return session


def principal_of(
    user: User, session_id: uuid.UUID | None = None, *, auth_time: datetime | None = START
) -> Principal:
    """The principal of a request made by `user`, from session `session_id` (or any session), whose
    token proved the password at `auth_time` (the fake clock's start: recent, unless it moves)."""
    return Principal(
        user_id=user.id,
        role=user.role,
        session_id=session_id or uuid.uuid4(),
        auth_time=auth_time,
        amr=("pwd",),
    )


if TYPE_CHECKING:
    # Each fake must satisfy its port: mypy reads these assignments, nothing runs them.
    _users: UserRepository = FakeUserRepository()
    _sessions: SessionRepository = FakeSessionRepository(FakeUserRepository())
    _auth_uow: AuthUnitOfWork = FakeUnitOfWork(
        FakeUserRepository(), FakeSessionRepository(FakeUserRepository())
    )
    _users_uow: UsersUnitOfWork = FakeUnitOfWork(
        FakeUserRepository(), FakeSessionRepository(FakeUserRepository())
    )
    _outbox: Outbox = FakeOutbox()
    _mfa: MfaRepository = FakeMfaRepository()
    _audit: AuditTrail = FakeAuditTrail()
    _hasher: PasswordHasher = FakePasswordHasher()
    _attempts: AttemptBudget = FakeAttemptBudget()
    _issuer: TokenIssuer = FakeTokenIssuer()
